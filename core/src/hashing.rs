//! blake3 of many small, independent inputs at once: the same hashes as
//! `blake3::hash` of each, computed several inputs at a time.
//!
//! `blake3::hash` of an input under 1 KiB compresses its 64-byte blocks
//! one after the other, one input at a time: 0.55 to 0.7 GB/s on the
//! machines here, against about 9 GB/s for one large input, whose 1 KiB
//! chunks the SIMD code compresses 8 or 16 at a time. Checking a batch of
//! stored events is many independent inputs (each event's hash covers its
//! own bytes; the chain is only the previous hash inside them), so this
//! module hands inputs with the same number of whole blocks to that same
//! many-at-once code, then finishes each input's last block alone.
//! Sealing a chunk of events ([`chain`]) is the same but for each input's
//! last 32 bytes, the hash of the one before: the events' second sealed
//! layout puts them last, so only the last one or two blocks of each wait
//! for the event before.
//!
//! It uses `blake3::platform`, which blake3 documents as unstable: the
//! workspace pins blake3's exact version, and the tests compare every
//! length up to two chunks with `blake3::hash`, so a change there fails
//! the tests instead of giving other hashes.

use blake3::platform::{self, Platform};
use blake3::IncrementCounter;

const BLOCK_LEN: usize = 64;
const CHUNK_LEN: usize = 1024;
/// blake3's initial chaining value (SHA-256's), from the specification.
const IV: [u32; 8] = [
    0x6A09_E667,
    0xBB67_AE85,
    0x3C6E_F372,
    0xA54F_F53A,
    0x510E_527F,
    0x9B05_688C,
    0x1F83_D9AB,
    0x5BE0_CD19,
];
/// Domain flags, from the specification.
const CHUNK_START: u8 = 1;
const CHUNK_END: u8 = 2;
const ROOT: u8 = 8;

/// Whole blocks before an input's last block: `0..=15` for the inputs
/// of one chunk (1 to 1,024 bytes), which this module hashes; other
/// inputs go to `blake3::hash`.
fn lead_blocks(len: usize) -> Option<usize> {
    (1..=CHUNK_LEN)
        .contains(&len)
        .then(|| (len - 1) / BLOCK_LEN)
}

/// The blake3 hash of each input, in order: `blake3::hash(input)` each.
pub fn hash_each(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
    let platform = Platform::detect();
    let lead = lead_chaining_values(platform, inputs, |input| lead_blocks(input.len()));
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let Some(blocks) = lead_blocks(input.len()) else {
                return *blake3::hash(input).as_bytes();
            };
            let mut cv = chaining_value(blocks, &lead[i * 32..i * 32 + 32]);
            let tail = &input[blocks * BLOCK_LEN..];
            let mut block = [0u8; BLOCK_LEN];
            block[..tail.len()].copy_from_slice(tail);
            let start = if blocks == 0 { CHUNK_START } else { 0 };
            // Up to 64: `lead_blocks` leaves 1 to 64 bytes for the last.
            let block_len = tail.len() as u8;
            platform.compress_in_place(&mut cv, &block, block_len, 0, start | CHUNK_END | ROOT);
            platform::le_bytes_from_words_32(&cv)
        })
        .collect()
}

/// Each input's chaining value after its first `blocks(input)` whole
/// blocks (1 to 15; 32 bytes an input, left zero where `blocks` gives 0
/// or `None`), computed for the inputs of each block count many at a
/// time ([`lead_cvs`]).
fn lead_chaining_values(
    platform: Platform,
    inputs: &[&[u8]],
    blocks: impl Fn(&[u8]) -> Option<usize>,
) -> Vec<u8> {
    let mut groups: [Vec<usize>; CHUNK_LEN / BLOCK_LEN] = Default::default();
    for (i, input) in inputs.iter().enumerate() {
        if let Some(n) = blocks(input).filter(|n| *n > 0) {
            groups[n].push(i);
        }
    }
    let mut lead = vec![0u8; inputs.len() * 32];
    let mut cvs: Vec<u8> = Vec::new();
    for (n, group) in groups.iter().enumerate() {
        if group.is_empty() {
            continue;
        }
        cvs.clear();
        cvs.resize(group.len() * 32, 0);
        lead_cvs(platform, n, inputs, group, &mut cvs);
        for (k, &i) in group.iter().enumerate() {
            lead[i * 32..i * 32 + 32].copy_from_slice(&cvs[k * 32..k * 32 + 32]);
        }
    }
    lead
}

/// The hashes of a chain of events whose bytes end with the hash of the
/// event before: `h[i] = blake3(bodies[i] ++ h[i - 1])`, with `h[-1] =
/// prev`. Each body's whole 64-byte blocks do not depend on the hash
/// after them, so their chaining values are computed many inputs at a
/// time, as [`hash_each`] does; only each input's last one or two blocks
/// (the body's tail and the previous hash) are compressed one after the
/// other. That is what lets an append seal a chunk of events several at
/// a time although each one's hash covers the one before
/// ([`crate::log`], the second layout). Inputs over one chunk (1 KiB)
/// are hashed whole by `blake3`.
pub fn chain(bodies: &[&[u8]], prev: [u8; 32]) -> Vec<[u8; 32]> {
    let platform = Platform::detect();
    // An input of one chunk: its body's whole blocks (0 to 15) are hashed
    // ahead; the rest is 32 to 95 bytes, one or two blocks.
    let one_chunk = |body: &[u8]| body.len() + 32 <= CHUNK_LEN;
    // Each input's chaining value after its body's whole blocks.
    let lead = lead_chaining_values(platform, bodies, |body| {
        one_chunk(body).then_some(body.len() / BLOCK_LEN)
    });
    let mut out = Vec::with_capacity(bodies.len());
    let mut prev = prev;
    for (i, body) in bodies.iter().enumerate() {
        let hash = if one_chunk(body) {
            let blocks = body.len() / BLOCK_LEN;
            let mut cv = chaining_value(blocks, &lead[i * 32..i * 32 + 32]);
            let tail = &body[blocks * BLOCK_LEN..];
            let mut rest = [0u8; 2 * BLOCK_LEN];
            rest[..tail.len()].copy_from_slice(tail);
            rest[tail.len()..tail.len() + 32].copy_from_slice(&prev);
            let len = tail.len() + 32;
            let start = if blocks == 0 { CHUNK_START } else { 0 };
            let mut block = [0u8; BLOCK_LEN];
            if len > BLOCK_LEN {
                block.copy_from_slice(&rest[..BLOCK_LEN]);
                platform.compress_in_place(&mut cv, &block, BLOCK_LEN as u8, 0, start);
                block.copy_from_slice(&rest[BLOCK_LEN..]);
                // 1 to 31 bytes.
                let last = (len - BLOCK_LEN) as u8;
                platform.compress_in_place(&mut cv, &block, last, 0, CHUNK_END | ROOT);
            } else {
                block.copy_from_slice(&rest[..BLOCK_LEN]);
                // 32 to 64 bytes.
                platform.compress_in_place(&mut cv, &block, len as u8, 0, start | CHUNK_END | ROOT);
            }
            platform::le_bytes_from_words_32(&cv)
        } else {
            let mut hasher = blake3::Hasher::new();
            hasher.update(body);
            hasher.update(&prev);
            *hasher.finalize().as_bytes()
        };
        out.push(hash);
        prev = hash;
    }
    out
}

/// The chaining value an input goes on from after its first `blocks`
/// whole blocks: blake3's IV before any, else `lead` (32 bytes, what
/// [`lead_cvs`] gave for it).
fn chaining_value(blocks: usize, lead: &[u8]) -> [u32; 8] {
    if blocks == 0 {
        return IV;
    }
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(lead);
    platform::words_from_le_bytes_32(&bytes)
}

/// The chaining values, after their first `blocks` blocks (1 to 15), of
/// the inputs `group` names, into `out` (32 bytes each), many at once.
fn lead_cvs(platform: Platform, blocks: usize, inputs: &[&[u8]], group: &[usize], out: &mut [u8]) {
    macro_rules! many {
        ($($n:literal),*) => {
            match blocks {
                $($n => {
                    let lead: Vec<&[u8; $n * BLOCK_LEN]> = group
                        .iter()
                        .filter_map(|&i| inputs[i][..$n * BLOCK_LEN].try_into().ok())
                        .collect();
                    debug_assert_eq!(lead.len(), group.len());
                    platform.hash_many(
                        &lead,
                        &IV,
                        0,
                        IncrementCounter::No,
                        0,
                        CHUNK_START,
                        0,
                        out,
                    );
                })*
                _ => unreachable!("an input of one chunk has at most 15 blocks before its last"),
            }
        };
    }
    many!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ at every position and from one input to the next.
    fn input(len: usize, salt: u64) -> Vec<u8> {
        let mut x = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn every_length_up_to_two_chunks_hashes_as_blake3_does() {
        let inputs: Vec<Vec<u8>> = (0..=2 * CHUNK_LEN + 70)
            .map(|len| input(len, len as u64))
            .collect();
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        let hashes = hash_each(&refs);
        for (input, hash) in inputs.iter().zip(&hashes) {
            assert_eq!(
                hash,
                blake3::hash(input).as_bytes(),
                "length {}",
                input.len()
            );
        }
    }

    /// Every body length up to past two chunks, in one chain and in
    /// chains of one, hashes as `blake3` of the body and the hash before.
    #[test]
    fn a_chain_hashes_each_body_with_the_hash_before_it() {
        let bodies: Vec<Vec<u8>> = (0..=2 * CHUNK_LEN + 70)
            .map(|len| input(len, 7 + len as u64))
            .collect();
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let start = [9u8; 32];
        let mut prev = start;
        let expected: Vec<[u8; 32]> = bodies
            .iter()
            .map(|body| {
                let mut bytes = body.clone();
                bytes.extend_from_slice(&prev);
                prev = *blake3::hash(&bytes).as_bytes();
                prev
            })
            .collect();
        assert_eq!(chain(&refs, start), expected);
        // One at a time, each starting from the one before.
        let mut prev = start;
        for (body, want) in refs.iter().zip(&expected) {
            let got = chain(&[body], prev);
            assert_eq!(got, vec![*want], "length {}", body.len());
            prev = got[0];
        }
        assert!(chain(&[], start).is_empty());
    }

    #[test]
    fn many_inputs_of_one_length_and_mixed_lengths_keep_their_order() {
        // More inputs of one block count than any SIMD degree, mixed with
        // others, so that groups are split and put back in order.
        let inputs: Vec<Vec<u8>> = (0..300u64)
            .map(|n| input(400 + (n as usize % 3) * 70, n))
            .collect();
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        let expected: Vec<[u8; 32]> = inputs.iter().map(|i| *blake3::hash(i).as_bytes()).collect();
        assert_eq!(hash_each(&refs), expected);
        assert!(hash_each(&[]).is_empty());
    }
}
