use std::io::ErrorKind;

use tokio::io::AsyncWriteExt;

use super::*;
use crate::proto::{InvokeHeader, InvokeResponse};

fn header(step: &str) -> InvokeHeader {
    InvokeHeader {
        call_id: format!("call-{step}"),
        step: step.into(),
        config_json: "{}".into(),
        ..Default::default()
    }
}

/// The bytes of `frames` as `write_frames` puts them on the wire.
async fn wire(frames: &[OutFrame]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frames(&mut out, frames).await.unwrap();
    out
}

#[test]
fn prefixes_round_trip_little_endian() {
    let prefix = Prefix {
        header_len: 0x0102_0304,
        kind: Kind::Result,
        call_no: 0xA0B0_C0D0,
        payload_len: (1 << 53) - 1,
    };
    let bytes = prefix.to_bytes();
    assert_eq!(&bytes[0..4], &[4, 3, 2, 1]);
    assert_eq!(bytes[4], 2);
    assert_eq!(&bytes[5..8], &[0, 0, 0]);
    assert_eq!(&bytes[8..12], &[0xD0, 0xC0, 0xB0, 0xA0]);
    assert_eq!(&bytes[12..16], &[0, 0, 0, 0]);
    assert_eq!(Prefix::parse(&bytes).unwrap(), prefix);
}

#[test]
fn malformed_prefixes_are_invalid_data() {
    let good = Prefix {
        header_len: 5,
        kind: Kind::Call,
        call_no: 7,
        payload_len: 9,
    }
    .to_bytes();
    let mut cases = Vec::new();
    for kind in [0u8, 3, 255] {
        let mut bad = good;
        bad[4] = kind;
        cases.push((bad, "unknown frame kind"));
    }
    for reserved in [5usize, 7, 12, 15] {
        let mut bad = good;
        bad[reserved] = 1;
        cases.push((bad, "reserved"));
    }
    let mut huge = good;
    huge[16..24].copy_from_slice(&PAYLOAD_LIMIT.to_le_bytes());
    cases.push((huge, "2^53"));
    for (bytes, says) in cases {
        let err = Prefix::parse(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains(says), "{err} should say {says}");
    }
}

#[tokio::test]
async fn frames_round_trip_with_and_without_payload() {
    let payload = Bytes::from((0..=250u8).cycle().take(100_003).collect::<Vec<u8>>());
    let frames = [
        OutFrame::new(Kind::Call, 1, &header("echo"), payload.clone()).unwrap(),
        OutFrame::new(Kind::Call, 2, &header("sink"), Bytes::new()).unwrap(),
    ];
    let bytes = wire(&frames).await;
    assert_eq!(bytes.len(), frames.iter().map(OutFrame::len).sum::<usize>());
    let mut reader = &bytes[..];
    let first: Frame<InvokeHeader> = read_frame(&mut reader, Kind::Call).await.unwrap().unwrap();
    assert_eq!(first.call_no, 1);
    assert_eq!(first.message, header("echo"));
    assert_eq!(first.payload, payload);
    let second: Frame<InvokeHeader> = read_frame(&mut reader, Kind::Call).await.unwrap().unwrap();
    assert_eq!((second.call_no, second.message.step.as_str()), (2, "sink"));
    assert!(second.payload.is_empty());
    let end: Option<Frame<InvokeHeader>> = read_frame(&mut reader, Kind::Call).await.unwrap();
    assert!(end.is_none(), "a clean end after a whole frame");
}

#[tokio::test]
async fn payloads_arrive_whole_and_8_aligned_from_small_reads() {
    // A 7-byte pipe forces every read to be partial.
    let (mut near, mut far) = tokio::io::duplex(7);
    let payload = Bytes::from((0..1001u32).map(|i| i as u8).collect::<Vec<u8>>());
    let frame =
        OutFrame::new(Kind::Result, 9, &InvokeResponse::default(), payload.clone()).unwrap();
    let writer = tokio::spawn(async move {
        write_frames(&mut near, &[frame]).await.unwrap();
        near.shutdown().await.unwrap();
    });
    let read: Frame<InvokeResponse> = read_frame(&mut far, Kind::Result).await.unwrap().unwrap();
    writer.await.unwrap();
    assert_eq!(read.payload, payload);
    assert_eq!(
        read.payload.as_ptr() as usize % 8,
        0,
        "payload buffers are 8-aligned"
    );
}

#[tokio::test]
async fn truncated_and_wrong_frames_fail() {
    let frame = OutFrame::new(
        Kind::Call,
        3,
        &header("echo"),
        Bytes::from_static(b"0123456789"),
    )
    .unwrap();
    let bytes = wire(&[frame]).await;
    for cut in [1, PREFIX_LEN - 1, PREFIX_LEN + 2, bytes.len() - 1] {
        let mut reader = &bytes[..cut];
        let err = read_frame::<InvokeHeader, _>(&mut reader, Kind::Call)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "cut at {cut}");
    }
    let mut reader = &bytes[..];
    let err = read_frame::<InvokeResponse, _>(&mut reader, Kind::Result)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "a call where a result was due"
    );

    // A message that is not protobuf: a field with wire type 7 does not exist.
    let mut garbage = Prefix {
        header_len: 3,
        kind: Kind::Call,
        call_no: 1,
        payload_len: 0,
    }
    .to_bytes()
    .to_vec();
    garbage.extend_from_slice(&[0x0F, 0xFF, 0xFF]);
    let err = read_frame::<InvokeHeader, _>(&mut &garbage[..], Kind::Call)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("does not decode"), "{err}");
}

#[tokio::test]
async fn payloads_too_large_to_hold_can_be_skipped() {
    // 4 PiB: more than any address space, so the allocation fails cleanly.
    let err = read_payload(&mut &b""[..], 1 << 52).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    let bytes = b"skip-me|next";
    let mut reader = &bytes[..];
    skip(&mut reader, 8).await.unwrap();
    assert_eq!(reader, b"next");
    let err = skip(&mut reader, 100).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn arrow_reads_a_payload_in_place() {
    use arrow_array::{cast::AsArray, types::Int64Type, ArrayRef, Int64Array};
    use std::sync::Arc;

    let table = crate::core::table::Table::from_columns(vec![(
        "id",
        Arc::new(Int64Array::from_iter_values(0..1000)) as ArrayRef,
    )])
    .unwrap();
    let frame = OutFrame::new(Kind::Call, 1, &header("echo"), table.to_ipc().unwrap()).unwrap();
    let bytes = wire(&[frame]).await;
    let read: Frame<InvokeHeader> = read_frame(&mut &bytes[..], Kind::Call)
        .await
        .unwrap()
        .unwrap();
    let payload = read.payload.as_ptr_range();
    let decoded = crate::core::table::Table::from_ipc(read.payload.clone()).unwrap();
    let values = decoded.batches()[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .inner()
        .as_ptr();
    assert!(
        payload.contains(&values),
        "the column's values point into the payload buffer (no copy)"
    );
    assert_eq!(decoded.num_rows(), 1000);
}
