//! Making a damaged index's checksums match again, as a crafted index
//! would, so the damage reaches every check behind them. Shared by the
//! property tests and the `matcher_differential` fuzz target (which
//! includes this file by path, so it needs nothing but the crate).

/// The index header's length, where the fst begins.
const HEADER: usize = 112;

/// Recomputes the index's CRC-32 (at byte 12, over the bytes after the
/// first 16) and, with `fst_too`, first the fst's own checksum (its last
/// four bytes: the masked CRC-32C of the rest, as the fst crate writes
/// it), where the header still says where the fst is.
pub fn reseal(bytes: &mut [u8], fst_too: bool) {
    if bytes.len() < 24 {
        return;
    }
    if fst_too {
        let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
        if let Some(fst) = usize::try_from(len)
            .ok()
            .filter(|&len| len >= 4 && len <= bytes.len().saturating_sub(HEADER))
            .map(|len| &mut bytes[HEADER..HEADER + len])
        {
            let (body, sum) = fst.split_at_mut(fst.len() - 4);
            sum.copy_from_slice(&masked_crc32c(body).to_le_bytes());
        }
    }
    let sum = crc32fast::hash(&bytes[16..]);
    bytes[12..16].copy_from_slice(&sum.to_le_bytes());
}

/// CRC-32C (Castagnoli), masked as in the Snappy frame format.
fn masked_crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82F6_3B78 & (crc & 1).wrapping_neg());
        }
    }
    let crc = !crc;
    (crc.rotate_right(15)).wrapping_add(0xA282_EAD8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn resealing_an_intact_index_changes_nothing() {
        let sel = blobsel::Selection::parse(
            &b"<BlobList><BlobPath>/cats/a</BlobPath><BlobPathPrefix>/dogs/</BlobPathPrefix></BlobList>"[..],
            "t",
        )
        .unwrap();
        let m = blobsel::MatcherBuilder::new().build(&sel).unwrap();
        let mut bytes = m.as_bytes().to_vec();
        super::reseal(&mut bytes, true);
        assert_eq!(bytes, m.as_bytes());
    }
}
