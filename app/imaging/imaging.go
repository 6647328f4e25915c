// Package imaging shrinks photos of documents before they are queued: a
// JPEG or PNG larger than a given side is re-encoded as a smaller JPEG.
package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"
	"image/png"
	"net/http"

	"golang.org/x/image/draw"
)

// Defaults for phone photos of documents: legible when printed on A4 and
// a few hundred kilobytes on a 2G link.
const (
	DefaultMaxSide = 1600
	Quality        = 80
	// MaxPixels bounds the images decoded (a 100-megapixel picture would
	// take 400 MB of memory); larger ones are refused, not shrunk.
	MaxPixels = 100_000_000
)

// Sentinel errors.
var (
	// ErrUnreadable: the bytes say JPEG or PNG but do not decode (a
	// damaged or truncated file). Choose the file again.
	ErrUnreadable = errors.New("imaging: the picture cannot be read (damaged or incomplete file): choose it again")
	// ErrTooManyPixels: the picture is too large to shrink on this device.
	ErrTooManyPixels = errors.New("imaging: the picture has too many pixels to shrink on this device: take a smaller photo")
)

const (
	typeJPEG = "image/jpeg"
	typePNG  = "image/png"
)

// Downscale returns data re-encoded as a JPEG (quality 80) whose longest
// side is maxSide pixels, and its MIME type, when data is a JPEG or PNG
// whose longest side is larger than maxSide. Anything else (a PDF, a small
// picture) comes back unchanged with its sniffed type, as does a picture
// whose shrunk JPEG would not be smaller. A JPEG's EXIF orientation is
// applied to the pixels (the new file has no EXIF data at all: no camera
// model, no GPS position). Transparent PNG areas become white.
func Downscale(data []byte, maxSide int) ([]byte, string, error) {
	typ := http.DetectContentType(data)
	if (typ != typeJPEG && typ != typePNG) || maxSide <= 0 {
		return data, typ, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w (%v)", ErrUnreadable, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, "", ErrTooManyPixels
	}
	if max(cfg.Width, cfg.Height) <= maxSide {
		return data, typ, nil
	}
	var src image.Image
	if typ == typeJPEG {
		src, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		src, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w (%v)", ErrUnreadable, err)
	}
	w, h := fit(cfg.Width, cfg.Height, maxSide)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	stddraw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, stddraw.Src)
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	var out image.Image = dst
	if typ == typeJPEG {
		out = orient(dst, exifOrientation(data))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: Quality}); err != nil {
		return nil, "", fmt.Errorf("imaging: encode the smaller picture: %w", err)
	}
	if buf.Len() >= len(data) {
		return data, typ, nil
	}
	return buf.Bytes(), typeJPEG, nil
}

// fit scales w x h so that its longest side is maxSide (at least 1 px each).
func fit(w, h, maxSide int) (int, int) {
	if w >= h {
		return maxSide, max(1, (h*maxSide+w/2)/w)
	}
	return max(1, (w*maxSide+h/2)/h), maxSide
}
