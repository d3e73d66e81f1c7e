"""Describes an .xlsx file as JSON, as openpyxl (an independent reader)
sees it: sheets, the first sheet's header cells (font, note, column format),
its freeze pane and data validations, and every other sheet's cell values.

Usage: describe_xlsx.py WORKBOOK
"""
import json
import sys

import openpyxl


def rgb(color):
    if color is None or color.type != "rgb":
        return None
    return color.rgb


def column(ws, idx):
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= idx <= dim.max:
            return dim.number_format, dim.width
    return "General", None


def values(ws):
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


def main():
    wb = openpyxl.load_workbook(sys.argv[1])
    data = wb.worksheets[0]
    headers = []
    for cell in data[1]:
        number_format, width = column(data, cell.column)
        headers.append({
            "text": cell.value,
            "bold": bool(cell.font.b),
            "color": rgb(cell.font.color),
            "note": cell.comment.text if cell.comment else None,
            "number_format": number_format,
            "width": width,
        })
    validations = [
        {
            "type": dv.type,
            "formula1": dv.formula1,
            "sqref": str(dv.sqref),
            "error_style": dv.errorStyle or "stop",
        }
        for dv in data.data_validations.dataValidation
    ]
    print(json.dumps({
        "sheets": [{"name": ws.title, "state": ws.sheet_state} for ws in wb.worksheets],
        "active": wb.active.title,
        "freeze_panes": data.freeze_panes,
        "max_row": data.max_row,
        "headers": headers,
        "validations": validations,
        "values": {ws.title: values(ws) for ws in wb.worksheets[1:]},
    }))


main()
