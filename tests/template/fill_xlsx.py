"""Fills a leadger template the way a person would, with openpyxl.

Usage: fill_xlsx.py TEMPLATE OUTPUT ROWS_JSON

ROWS_JSON is a list of rows, each an object keyed by header text. A value
{"date": "YYYY-MM-DD"} or {"datetime": "YYYY-MM-DDTHH:MM:SS"} is typed as a
real date; numbers stay numbers; text is typed as text.

Every typed cell takes its column's number format, as a spreadsheet program
applies a column's format to what is typed into it. Text that looks like a
number (02134) becomes a number, as a spreadsheet program makes it, unless
the column is formatted as text ("@"): so a template that forgot the text
format loses the leading zero here too.
"""
import datetime
import json
import re
import sys

import openpyxl

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def column_format(ws, idx):
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= idx <= dim.max:
            return dim.number_format
    return "General"


def typed(value, fmt):
    if isinstance(value, dict) and "date" in value:
        return datetime.date.fromisoformat(value["date"])
    if isinstance(value, dict) and "datetime" in value:
        return datetime.datetime.fromisoformat(value["datetime"])
    if isinstance(value, str) and fmt != "@" and NUMBER.match(value):
        return float(value) if "." in value else int(value)
    return value


def main():
    template, output, rows_path = sys.argv[1:4]
    with open(rows_path, encoding="utf-8") as f:
        rows = json.load(f)
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    columns = {cell.value: cell.column for cell in ws[1] if cell.value}
    for row_idx, row in enumerate(rows, start=2):
        for header, value in row.items():
            col = columns[header]
            fmt = column_format(ws, col)
            cell = ws.cell(row=row_idx, column=col, value=typed(value, fmt))
            if fmt != "General":
                cell.number_format = fmt
    wb.save(output)


main()
