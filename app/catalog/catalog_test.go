package catalog

import (
	"strings"
	"testing"

	"civicdesk/assets"
)

func TestDefaultDecodes(t *testing.T) {
	if _, err := Decode(assets.CatalogJSON); err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	a, b := Default(), Default()
	if a == b || &a.Services[0] == &b.Services[0] {
		t.Error("Default returns shared state; want a fresh copy each call")
	}
}

func TestDefaultContents(t *testing.T) {
	c := Default()
	if c.Version == "" {
		t.Error("no catalog version")
	}
	if len(c.Services) < 10 {
		t.Fatalf("%d services; want at least 10", len(c.Services))
	}
	districts := []string{"320302", "320303", "320305", "320311", "320312", "320321", "320322", "320324", "320381", "320382"}
	for _, s := range c.Services {
		t.Run(s.Code, func(t *testing.T) {
			if s.Category == "" {
				t.Error("no category")
			}
			for _, txt := range []Text{s.Name, s.Description, s.Department, s.ProcessingTime, s.Fee} {
				if !bothLanguages(txt) {
					t.Errorf("text %v lacks a language", txt)
				}
			}
			if len(s.Materials) == 0 {
				t.Error("no materials")
			}
			if n := len(s.Form.Steps); n < 2 || n > 4 {
				t.Errorf("%d steps; want 2-4", n)
			}
			var idRequired, phoneRequired, declaration bool
			for _, f := range s.Form.Fields {
				idRequired = idRequired || f.Type == TypeIDNumber && f.Required && f.ShowIf == nil
				phoneRequired = phoneRequired || f.Type == TypePhone && f.Required && f.ShowIf == nil
				declaration = declaration || f.Type == TypeCheckbox && f.Required
				if f.Type == TypeSelect && strings.Contains(f.Name, "district") {
					var got []string
					for _, o := range f.Options {
						got = append(got, o.Value)
					}
					if len(got) != len(districts) || got[0] != districts[0] || got[9] != districts[9] {
						t.Errorf("field %s: districts %v; want the 10 division codes", f.Name, got)
					}
				}
				if f.Type == TypeAttachment && (f.MaxSize != 10<<20 || len(f.Accept) == 0) {
					t.Errorf("field %s: attachment without accept or a 10 MB limit", f.Name)
				}
			}
			if !idRequired || !phoneRequired || !declaration {
				t.Errorf("required id_number %v, phone %v, declaration checkbox %v; want all", idRequired, phoneRequired, declaration)
			}
		})
	}
}

func ref(typ string, size int64) AttachmentRef {
	return AttachmentRef{Name: "scan", Type: typ, Size: size, SHA256: sha}
}

// sampleAnswers are realistic answers to every service of the embedded
// catalog, in the shape encoding/json produces or a screen builds.
func sampleAnswers(t testing.TB) map[string]Values {
	id := makeID(t, "32030219850612003")
	father := makeID(t, "32031219830305005")
	senior := makeID(t, "32030219580101002")
	agent := makeID(t, "32030219850612011")
	pdf := map[string]any{"name": "scan.pdf", "type": "application/pdf", "size": 245760.0, "sha256": sha}
	return map[string]Values{
		"residence_permit": {
			"applicant_name": "张伟", "id_number": id, "phone": "13812345678", "email": "zhang.wei@example.com",
			"application_type": "renewal", "previous_permit_number": "320300123456",
			"district": "320302", "address": "鼓楼区中山北路88号3栋2单元501室", "residence_since": "2024-03-01",
			"residence_basis": "lease", "purpose": "employment", "employer_name": "徐州工程机械集团有限公司",
			"id_card_scan": pdf, "residence_proof_scan": ref("image/jpeg", 3<<20),
			"declaration": true, "privacy_consent": true,
		},
		"social_security_card_replacement": {
			"applicant_name": "李娜", "id_number": "11010519491231002x", "phone": "15952001234",
			"reason": "lost", "date_lost": "2026-10-30", "loss_reported": true,
			"delivery": "mail", "district": "320311", "delivery_address": "泉山区淮海西路166号",
			"photo": ref("image/png", 800_000), "declaration": true,
		},
		"sole_proprietorship_registration": {
			"operator_name": "王芳", "id_number": id, "phone": "18752001234",
			"business_name": "徐州市云龙区王芳便利店", "composition": "individual",
			"business_scope": []any{"retail", "personal_services"}, "capital": "50000", "employees": 2.0,
			"district": "320303", "address": "云龙区和平路12号", "premises_use": "leased", "lease_end_date": "2029-06-30",
			"id_card_scan": pdf, "premises_proof_scan": pdf, "declaration": true,
		},
		"medical_insurance_enrolment": {
			"insured_name": "赵子涵", "id_number": id, "phone": "13952001234", "insured_category": "student",
			"school_name": "江苏师范大学", "district": "320312", "address": "铜山区上海路101号",
			"contribution_year": 2027.0, "payment_method": "bank_debit", "bank_account": "6222021234567890123",
			"declaration": true,
		},
		"housing_fund_withdrawal": {
			"applicant_name": "陈静", "id_number": id, "phone": "13605161234", "fund_account": "3203001234567",
			"withdrawal_reason": "rent", "monthly_rent": 1800.0, "amount": "21600", "bank": "ccb",
			"bank_card_number": "6217001234567890", "bank_card_scan": ref("image/jpeg", 1<<20),
			"contract_scan": pdf, "declaration": true, "verification_consent": true,
		},
		"birth_registration": {
			"mother_name": "刘洋", "mother_id_number": id, "phone": "13775001234",
			"father_name": "孙浩", "father_id_number": father, "marriage_date": "2022-05-20",
			"child_order": "second", "expected_or_birth_date": "2027-03-08", "hospital": "徐州市妇幼保健院",
			"district": "320324", "address": "睢宁县八一西路9号", "declaration": true,
		},
		"senior_citizen_card": {
			"applicant_name": "周桂兰", "id_number": senior, "phone": "13952009876",
			"applied_by": "relative", "agent_name": "周明", "agent_id_number": agent,
			"photo": ref("image/jpeg", 200_000), "collection": "community",
			"district": "320321", "address": "丰县中阳大道58号", "declaration": true,
		},
		"disability_certificate": {
			"applicant_name": "吴强", "id_number": id, "phone": "15005161234", "applied_by": "guardian",
			"guardian_name": "吴建国", "guardian_relationship": "parent", "district": "320305",
			"address": "贾汪区工农路3号", "disability_types": []string{"physical"},
			"assessment_hospital": "xuzhou_central", "preferred_assessment_date": "2026-12-10",
			"id_card_scan": pdf, "household_register_scan": pdf, "photo": ref("image/jpeg", 150_000),
			"declaration": true,
		},
		"minimum_living_allowance": {
			"applicant_name": "郑秀英", "id_number": id, "phone": "13815161234", "district": "320382",
			"address": "邳州市建设中路20号", "household_size": "3", "monthly_income": 1200.0,
			"income_sources": []any{"pension", "support"}, "hardship_reasons": []any{"illness", "other"},
			"hardship_details": "家中一人长期卧床，需要照护", "owns_vehicle": false, "owns_other_housing": false,
			"bank_card_number": "6228481234567890123", "household_register_scan": pdf,
			"consent_to_checks": true, "declaration": true,
		},
		"household_registration_transfer": {
			"applicant_name": "黄磊", "id_number": id, "phone": "18012341234", "transfer_reason": "marriage",
			"spouse_name": "林婷", "spouse_id_number": father, "from_address": "山东省枣庄市市中区光明路5号",
			"to_district": "320381", "to_address": "新沂市新安街道北京路16号", "accompanying_persons": 0.0,
			"planned_move_date": "2026-12-20", "household_register_scan": pdf, "reason_proof_scan": pdf,
			"declaration": true,
		},
		"real_estate_register_inquiry": {
			"applicant_name": "马超", "id_number": id, "phone": "13912340000", "inquiry_scope": "by_certificate",
			"certificate_number": "苏（2023）徐州市不动产权第0012345号", "district": "320302", "purpose": "loan",
			"result_delivery": "email", "result_email": "ma.chao@example.com", "declaration": true,
		},
		"employment_registration": {
			"applicant_name": "何敏", "id_number": id, "phone": "17712341234", "district": "320322",
			"address": "沛县汉城路100号", "registration_type": "unemployment", "termination_date": "2026-10-31",
			"termination_reason": "contract_expired", "education": "college", "training_interests": []any{"it", "e_commerce"},
			"termination_certificate_scan": pdf, "declaration": true,
		},
	}
}

func TestDefaultSampleAnswersValidate(t *testing.T) {
	c := Default()
	samples := sampleAnswers(t)
	if len(samples) != len(c.Services) {
		t.Errorf("%d sample answer sets for %d services", len(samples), len(c.Services))
	}
	for _, s := range c.Services {
		t.Run(s.Code, func(t *testing.T) {
			v, ok := samples[s.Code]
			if !ok {
				t.Fatal("no sample answers")
			}
			if errs := ValidateAt(&s, v, testNow); errs != nil {
				t.Errorf("sample answers refused: %+v", errs)
			}
			shown := map[string]bool{}
			for _, f := range s.Visible(v) {
				shown[f.Name] = true
			}
			for name := range v {
				if !shown[name] {
					t.Errorf("sample answers field %q, which is hidden or unknown", name)
				}
			}
			// Without answers, every unconditionally required field is reported.
			want := 0
			for _, f := range s.Visible(nil) {
				if f.Required {
					want++
				}
			}
			if errs := ValidateAt(&s, nil, testNow); len(errs) != want {
				t.Errorf("empty form: %d errors; want %d", len(errs), want)
			}
		})
	}
}

func TestDefaultConditionalFields(t *testing.T) {
	c := Default()
	tests := []struct {
		service, field string
		set            Values // answers that show field
		hide           Values // answers that hide it
	}{
		{"social_security_card_replacement", "date_lost", Values{"reason": "lost"}, Values{"reason": "damaged"}},
		{"employment_registration", "termination_date", Values{"registration_type": "unemployment"}, Values{"registration_type": "employment"}},
		{"residence_permit", "previous_permit_number", Values{"application_type": "renewal"}, Values{"application_type": "first_issue"}},
		{"minimum_living_allowance", "vehicle_details", Values{"owns_vehicle": true}, Values{"owns_vehicle": false}},
		{"minimum_living_allowance", "hardship_details", Values{"hardship_reasons": []any{"other"}}, Values{"hardship_reasons": []any{"illness"}}},
	}
	for _, tt := range tests {
		t.Run(tt.service+"/"+tt.field, func(t *testing.T) {
			s, _ := c.Service(tt.service)
			base := sampleAnswers(t)[tt.service]
			with := func(extra Values) Values {
				v := Values{}
				for k, x := range base {
					v[k] = x
				}
				delete(v, tt.field)
				for k, x := range extra {
					v[k] = x
				}
				return v
			}
			errs := ValidateAt(s, with(tt.set), testNow)
			if len(errs) != 1 || errs[0].Field != tt.field || errs[0].Code != CodeRequired {
				t.Errorf("shown and empty: %+v; want only %s required", errs, tt.field)
			}
			hidden := with(tt.hide)
			hidden[tt.field] = "garbage" // ignored while hidden
			for _, e := range ValidateAt(s, hidden, testNow) {
				if e.Field == tt.field {
					t.Errorf("hidden field reported: %+v", e)
				}
			}
		})
	}
}

func TestTextIn(t *testing.T) {
	tests := []struct {
		text Text
		lang string
		want string
	}{
		{Text{LangZh: "居住证", LangEn: "Residence permit"}, LangEn, "Residence permit"},
		{Text{LangZh: "居住证", LangEn: "Residence permit"}, "ug", "居住证"},
		{Text{LangZh: "", LangEn: "Residence permit"}, LangZh, "Residence permit"},
		{Text{"fr": "Titre de séjour"}, LangEn, "Titre de séjour"},
		{nil, LangEn, ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.want, func(t *testing.T) {
			if got := tt.text.In(tt.lang); got != tt.want {
				t.Errorf("In(%q) = %q; want %q", tt.lang, got, tt.want)
			}
		})
	}
}
