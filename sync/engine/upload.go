package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// maxStalls bounds answers in a row that do not move an upload on (a 409
// naming the offset the chunk started at, say) before ErrUploadStalled.
const maxStalls = 3

// errBlobGone: the local blob went away during the round (its application
// was accepted or deleted meanwhile); nothing to upload.
var errBlobGone = errors.New("attachment no longer in the store")

// upload sends the bytes of every blob queued applications wait for, in
// chunks of Config.ChunkSize through one reused buffer, each blob from
// where the central API's copy ends. A network failure (or anything else
// that a later round may cure) stops the uploads; a blob the central API
// refuses is left for the next round and the others go on; a blob that does
// not match its SHA-256 on arrival is marked missing (uploaded again from
// the start next round). The error returned is the first failure, so the
// round backs off.
func (e *Engine) upload(ctx context.Context, rep *Report) error {
	if !e.attachmentsAllowed() {
		return nil
	}
	blobs, err := e.q.PendingBlobs()
	if err != nil {
		return fmt.Errorf("reading the attachments to upload: %w", err)
	}
	if len(blobs) == 0 {
		return nil
	}
	defer e.refreshStats()
	prog := e.newProgress(blobs)
	buf := make([]byte, e.cfg.ChunkSize) // fresh each round: a cancelled request may still hold the last one
	var failed error
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.attachmentsAllowed() {
			break // data saver switched on during the round
		}
		err := e.uploadBlob(ctx, b, buf, rep, prog)
		switch {
		case err == nil:
			if err := e.q.MarkBlobUploaded(b.SHA256); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("recording an uploaded attachment: %w", err)
			}
			rep.BlobsUploaded++
		case errors.Is(err, errBlobGone):
			e.log.Debug("attachment left the store during the upload", "blob", short(b.SHA256))
		case errors.Is(err, client.ErrBlobCorrupt):
			// The central API dropped what it had; the next round starts over.
			e.log.Warn("central API refused an uploaded attachment as not matching its SHA-256", "blob", short(b.SHA256))
			if err := e.q.MarkBlobMissing(b.SHA256); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("recording a refused attachment: %w", err)
			}
			e.setOffset(b, 0, prog)
			if failed == nil {
				failed = err // back off: the same bytes would be refused again at once
			}
		case ctx.Err() != nil:
			return err
		case client.Retryable(err) || errors.Is(err, client.ErrUnauthorized) || errors.Is(err, ErrChunkRejected):
			return err
		default:
			e.log.Warn("attachment upload failed", "blob", short(b.SHA256), "err", err)
			if failed == nil {
				failed = err
			}
		}
	}
	return failed
}

func (e *Engine) attachmentsAllowed() bool {
	return e.cfg.Attachments == nil || e.cfg.Attachments()
}

// uploadBlob brings the central API's copy of b to its full size.
func (e *Engine) uploadBlob(ctx context.Context, b store.BlobInfo, buf []byte, rep *Report, prog *progress) error {
	off, err := e.create(ctx, b)
	if err != nil {
		return err
	}
	e.setOffset(b, off, prog)
	resends, stalls, recreated := 0, 0, false
	for off < b.Size {
		chunk := buf[:min(int64(len(buf)), b.Size-off)]
		if err := e.readChunk(b, off, chunk); err != nil {
			return err
		}
		n := int64(len(chunk))
		next, err := e.api.PatchBlob(ctx, b.SHA256, off, chunk)
		rep.BlobBytes += n
		refused := false   // the server took none of this chunk, whatever it holds
		announced := false // announced again: wherever it starts, not a stall
		var om *client.OffsetMismatchError
		switch {
		case err == nil && next == off+n:
			resends = 0
		case err == nil:
			// An offset that is not where the chunk ends: ask again.
			next, err = e.askOffset(ctx, b)
		case errors.As(err, &om):
			// Jump to where the central API's copy ends.
			resends, refused = 0, true
			next, err = om.Offset, nil
			if next < 0 || next > b.Size {
				next, err = e.askOffset(ctx, b)
			}
		case errors.Is(err, client.ErrChunkChecksum):
			rep.BlobBytesLost += n
			if resends++; resends > MaxChunkResends {
				return fmt.Errorf("attachment %s, chunk at byte %d: %w", short(b.SHA256), off, ErrChunkRejected)
			}
			continue // the same chunk again
		case errors.Is(err, client.ErrNotFound) && !recreated:
			// The central API forgot the blob (a restart that lost partial
			// uploads): announce it again and resume from its answer.
			recreated, refused, announced = true, true, true
			next, err = e.create(ctx, b)
		}
		if err != nil {
			rep.BlobBytesLost += n
			return err
		}
		kept := min(max(next-off, 0), n)
		if refused {
			kept = 0
		}
		rep.BlobBytesLost += n - kept
		if next <= off && !announced {
			if stalls++; stalls > maxStalls {
				return fmt.Errorf("attachment %s at byte %d: %w", short(b.SHA256), off, ErrUploadStalled)
			}
		} else {
			stalls = 0
		}
		off = next
		e.setOffset(b, off, prog)
	}
	return nil
}

// create announces b and returns how much of it the central API holds.
func (e *Engine) create(ctx context.Context, b store.BlobInfo) (int64, error) {
	st, err := e.api.CreateBlob(ctx, wire.BlobCreate{SHA256: b.SHA256, Size: b.Size, Type: b.Type})
	if err != nil {
		return 0, err
	}
	if st.Complete {
		return b.Size, nil
	}
	return st.Offset, nil
}

// askOffset asks the central API how much of b it holds (HEAD).
func (e *Engine) askOffset(ctx context.Context, b store.BlobInfo) (int64, error) {
	off, size, err := e.api.BlobOffset(ctx, b.SHA256)
	if err != nil {
		return 0, err
	}
	if size != b.Size || off > b.Size {
		return 0, fmt.Errorf("attachment %s: the central API holds %d of %d bytes, this device has %d: %w",
			short(b.SHA256), off, size, b.Size, client.ErrBadResponse)
	}
	return off, nil
}

// readChunk fills p with b's bytes from off.
func (e *Engine) readChunk(b store.BlobInfo, off int64, p []byte) error {
	got := 0
	for got < len(p) {
		n, err := e.q.ReadBlob(b.SHA256, off+int64(got), p[got:])
		got += n
		switch {
		case got == len(p):
			return nil
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("attachment %s: %w", short(b.SHA256), errBlobGone)
		case err == nil && n > 0:
			continue
		case err == nil || errors.Is(err, io.EOF):
			return fmt.Errorf("attachment %s: the local copy ends at byte %d of %d: %w", short(b.SHA256), off+int64(got), b.Size, store.ErrCorrupt)
		default:
			return fmt.Errorf("reading attachment %s: %w", short(b.SHA256), err)
		}
	}
	return nil
}

// short is the head of a SHA-256 for logs and errors.
func short(sha string) string { return sha[:min(len(sha), 12)] }

// progress holds, for every application with a blob to upload, what its
// Progress events count: Total is the size of all its attachments, Done
// what the central API holds of them.
type progress struct {
	apps map[string]*appProgress
	size map[string]int64 // pending blob sizes by SHA-256
}

type appProgress struct {
	total, base int64    // base: bytes of its blobs uploaded before
	blobs       []string // its pending blobs
}

// newProgress builds the per-application totals from the pending blobs
// and, for the attachments the central API already holds, the queue.
func (e *Engine) newProgress(blobs []store.BlobInfo) *progress {
	p := &progress{apps: map[string]*appProgress{}, size: map[string]int64{}}
	for _, b := range blobs {
		p.size[b.SHA256] = b.Size
		for _, id := range b.Apps {
			a := p.apps[id]
			if a == nil {
				a = &appProgress{}
				p.apps[id] = a
			}
			a.blobs = append(a.blobs, b.SHA256)
			a.total += b.Size
		}
	}
	items, err := e.q.Pending(math.MaxInt, math.MaxInt)
	if err != nil {
		e.log.Warn("reading the outbox for upload progress failed; progress counts only the attachments still to upload", "err", err)
		return p
	}
	for _, it := range items {
		a := p.apps[it.ID]
		if a == nil {
			continue
		}
		counted := map[string]bool{}
		for _, sha := range a.blobs {
			counted[sha] = true
		}
		for _, at := range it.Attachments {
			if sha := at.Ref.SHA256; !counted[sha] {
				counted[sha] = true
				a.total += at.Ref.Size
				a.base += at.Ref.Size
			}
		}
	}
	return p
}

// setOffset records that the central API holds off bytes of b, updates
// Status.PendingBytes and publishes a Progress event for every application
// that references b.
func (e *Engine) setOffset(b store.BlobInfo, off int64, p *progress) {
	off = min(max(off, 0), b.Size)
	e.mu.Lock()
	defer e.mu.Unlock()
	old := min(e.blobOff[b.SHA256], b.Size)
	e.blobOff[b.SHA256] = off
	e.st.PendingBytes = max(0, e.st.PendingBytes-(off-old))
	for _, id := range b.Apps {
		a := p.apps[id]
		if a == nil {
			continue
		}
		done := a.base
		for _, sha := range a.blobs {
			done += min(e.blobOff[sha], p.size[sha])
		}
		e.publishLocked(Event{Kind: Progress, ID: id, Blob: b.SHA256, Done: done, Total: a.total})
	}
}
