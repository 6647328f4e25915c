package wire

// Resumable, content-addressed uploads of attachments, with the semantics
// of the tus 1.0 core protocol (https://tus.io/protocols/resumable-upload):
// a blob is named by the SHA-256 (lower-case hex) of its bytes, so the same
// document attached twice is uploaded once.
//
//	POST  /v1/blobs            BlobCreate (JSON) -> 201 BlobStatus (new), 200 BlobStatus (known: resume from Offset)
//	HEAD  /v1/blobs/{sha256}   -> 200, headers Upload-Offset and Upload-Length; 404 unknown
//	PATCH /v1/blobs/{sha256}   one chunk: Content-Type application/offset+octet-stream,
//	                           Upload-Offset (where the chunk starts), Upload-Checksum
//	                           ("sha256 " + base64 of the chunk's SHA-256); -> 204 with the new Upload-Offset.
//	                           409 when Upload-Offset is not the server's offset (the answer carries the
//	                           right Upload-Offset); 460 when the chunk's checksum does not match (the
//	                           chunk is dropped); 413 when the chunk exceeds MaxChunk; 404 unknown blob;
//	                           422 when the last chunk completes a blob whose SHA-256 is not its name
//	                           (the server drops the blob; upload it again).
//
// Every answer carries Tus-Resumable: 1.0.0; errors have a JSON Error body
// (except HEAD). Device token required. A submission references blobs by
// hash (Attachment.SHA256); an item naming a blob the server does not hold
// complete gets Outcome Retry with Code "blob_missing" in its message field
// errors, and the client uploads the blob before sending the item again.
const (
	PathBlobs = "/v1/blobs"

	HeaderTusResumable   = "Tus-Resumable"
	TusVersion           = "1.0.0"
	HeaderUploadOffset   = "Upload-Offset"
	HeaderUploadLength   = "Upload-Length"
	HeaderUploadChecksum = "Upload-Checksum"
	ContentTypeChunk     = "application/offset+octet-stream"

	// StatusChecksumMismatch is tus's 460 Checksum Mismatch.
	StatusChecksumMismatch = 460

	// MaxChunk is the largest chunk the server takes in one PATCH.
	MaxChunk = 1 << 20
	// MaxBlob is the largest blob the server takes.
	MaxBlob = 32 << 20

	// CodeBlobMissing is the FieldError code of an attachment whose blob the
	// submitting device has not uploaded complete (a blob another device
	// uploaded counts as missing: a device proves it holds the bytes by
	// sending them, so that no device can probe for a document's existence).
	CodeBlobMissing = "attachment.blob_missing"
)

// BlobCreate announces a blob before its bytes are sent.
type BlobCreate struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
}

// BlobStatus is how much of a blob the server holds.
type BlobStatus struct {
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Offset   int64  `json:"offset"`
	Complete bool   `json:"complete"`
}
