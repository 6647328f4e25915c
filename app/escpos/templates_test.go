package escpos

import (
	"slices"
	"strings"
	"testing"
)

// texts lists a document's lines as "kind:text" for assertions.
func texts(d *Doc) []string {
	names := map[kind]string{kindTitle: "title", kindText: "text", kindBig: "big", kindRule: "rule", kindQR: "qr", kindFeed: "feed"}
	var out []string
	for _, l := range d.lines {
		out = append(out, names[l.kind]+":"+l.text)
	}
	return out
}

func TestReceiptDoc(t *testing.T) {
	r := sampleReceipt()
	local := r
	local.TrackingNo, local.LocalRef = "", "K03-0042"
	tests := []struct {
		name, lang string
		data       ReceiptData
		want       []string
		not        []string
	}{
		{"zh with tracking number", "zh-Hans", r, []string{
			"title:鼓楼区政务服务中心", "title:居住证办理（首次申领）", "text:受理编号: 320320250314000123",
			"text:查询码: 057401", "text:时间: 2025-03-14 09:41", "text:请携带以下材料：",
			"text:1. 居民身份证原件及复印件", "text:3. 房屋租赁合同或房产证明（Tenancy contract or proof of ownership）",
			"qr:" + r.QRPayload, "text:请妥善保管本回执"}, []string{"text:本地编号: K03-0042"}},
		{"en with local reference", "en", local, []string{
			"text:Local reference: K03-0042", "text:(a tracking number follows once online)",
			"text:Time: 14 Mar 2025 09:41", "text:Please keep this receipt"}, []string{"text:Tracking no.: 320320250314000123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := texts(ReceiptDoc(tt.data, tt.lang))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %q", w, got)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("unexpected %q", n)
				}
			}
		})
	}
}

func TestTicketDoc(t *testing.T) {
	tests := []struct {
		lang string
		want []string
	}{
		{"zh", []string{"title:鼓楼区政务服务中心", "text:社保医保综合窗口", "big:A023", "text:前面还有 7 人等候", "text:时间: 2025-03-14 09:38"}},
		{"en", []string{"title:Gulou District Government Service Centre", "big:A023", "text:7 people ahead of you", "text:Time: 14 Mar 2025 09:38"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			td := sampleTicket(tt.lang)
			got := texts(TicketDoc(td, tt.lang))
			for _, w := range append(tt.want, "qr:"+td.QRPayload) {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %q", w, got)
				}
			}
			if strings.Count(strings.Join(got, "\n"), "big:") != 1 {
				t.Errorf("want exactly one big line in %q", got)
			}
		})
	}
}
