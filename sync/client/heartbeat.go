package client

import (
	"context"
	"net/http"

	"civicdesk/sync/wire"
)

// Heartbeat reports the device's health to the central API with the device
// token. It holds no personal data; the server keeps only the latest.
func (c *Client) Heartbeat(ctx context.Context, hb wire.Heartbeat) error {
	_, err := c.do(ctx, call{op: "heartbeat", method: http.MethodPost, path: wire.PathHeartbeat, body: hb, auth: c.bearer()})
	return err
}

// Devices lists the enrolled devices with their last heartbeat and the
// server's stale and unhealthy flags.
func (b *Backoffice) Devices(ctx context.Context) ([]wire.DeviceHealth, error) {
	r, err := b.c.do(ctx, call{op: "backoffice devices", method: http.MethodGet, path: wire.PathBackofficeDevices, auth: b.token})
	if err != nil {
		return nil, err
	}
	var list []wire.DeviceHealth
	if err := decode("backoffice devices", r, &list); err != nil {
		return nil, err
	}
	return list, nil
}
