package handoff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// testNow is "now" for validating the samples.
var testNow = time.Date(2026, 11, 27, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// idNumber adds the GB 11643 check character to 17 digits.
func idNumber(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// scan is an attached document as the form holds it.
func scan(name, typ string, size int) catalog.AttachmentRef {
	sum := sha256.Sum256([]byte(name))
	return catalog.AttachmentRef{Name: name, Type: typ, Size: int64(size), SHA256: hex.EncodeToString(sum[:])}
}

// samples are realistic answers for every service of the embedded catalog,
// attachments included (as references in the values, as the form keeps
// them). TestSamplesAreValid keeps them valid.
var samples = map[string]catalog.Values{
	"residence_permit": {
		"applicant_name": "李海燕", "id_number": idNumber("34122519920415262"), "phone": "13952187734",
		"email": "li.haiyan@example.com", "application_type": "renewal", "previous_permit_number": "JS3203-2023-0081472",
		"district": "320311", "address": "江苏省徐州市泉山区湖滨路 27 号 2 幢 1 单元 603 室",
		"residence_since": "2021-03-15", "residence_basis": "lease", "purpose": "employment",
		"employer_name": "徐州工程机械集团有限公司", "id_card_scan": scan("id.jpg", "image/jpeg", 412_331),
		"residence_proof_scan": scan("lease.pdf", "application/pdf", 1_204_556), "photo": scan("photo.jpg", "image/jpeg", 98_112),
		"declaration": true, "privacy_consent": true,
	},
	"social_security_card_replacement": {
		"applicant_name": "赵建国", "id_number": idNumber("32030319680922101"), "phone": "15062158890",
		"reason": "lost", "date_lost": "2026-11-02", "loss_reported": true, "delivery": "mail",
		"district": "320303", "delivery_address": "江苏省徐州市云龙区和平路 188 号 5 单元 302 室",
		"photo": scan("photo.jpg", "image/jpeg", 120_400), "declaration": true,
	},
	"sole_proprietorship_registration": {
		"operator_name": "陈志强", "id_number": idNumber("32032119850107301"), "phone": "18752013366",
		"business_name": "志强家电维修部", "composition": "family", "family_members": "陈志强（经营者）；王丽娟（配偶）",
		"business_scope": []string{"repair", "retail"}, "scope_details": "家用电器维修，电器配件零售",
		"capital": 50000.0, "employees": 2.0, "district": "320321", "address": "江苏省徐州市丰县中阳大道 66 号 1 层商铺",
		"premises_use": "leased", "lease_end_date": "2029-06-30",
		"id_card_scan": scan("id.png", "image/png", 530_777), "premises_proof_scan": scan("lease.pdf", "application/pdf", 880_000),
		"declaration": true,
	},
	"medical_insurance_enrolment": {
		"insured_name": "王秀英", "id_number": "320302199003070026", "phone": "13852012345",
		"insured_category": "adult", "district": "320302", "address": "江苏省徐州市鼓楼区中山北路 18 号 3 单元 502 室",
		"contribution_year": 2027.0, "payment_method": "bank_debit", "bank_account": "6222021106001234567",
		"household_register_scan": scan("hukou.jpg", "image/jpeg", 702_113), "declaration": true,
	},
	"housing_fund_withdrawal": {
		"applicant_name": "孙浩然", "id_number": idNumber("32038219900318451"), "phone": "13645201188",
		"fund_account": "320300112233445", "withdrawal_reason": "rent", "monthly_rent": 1800.0, "amount": 21600.0,
		"bank": "icbc", "bank_card_number": "6212261102003456789",
		"bank_card_scan": scan("card.jpg", "image/jpeg", 230_400), "declaration": true, "verification_consent": true,
	},
	"birth_registration": {
		"mother_name": "周雨桐", "mother_id_number": idNumber("32030519950612242"), "phone": "13813456789",
		"father_name": "吴子涵", "father_id_number": idNumber("32030519930211201"), "father_phone": "13913456780",
		"marriage_date": "2021-10-01", "child_order": "first", "expected_or_birth_date": "2026-11-20",
		"hospital": "徐州市中心医院", "district": "320305", "address": "江苏省徐州市贾汪区建国西路 9 号 2 单元 201 室",
		"declaration": true,
	},
	"senior_citizen_card": {
		"applicant_name": "徐桂兰", "id_number": idNumber("32032419560305102"), "phone": "15150012233",
		"applied_by": "relative", "agent_name": "徐明", "agent_id_number": idNumber("32032419820714301"),
		"photo": scan("photo.jpg", "image/jpeg", 88_000), "collection": "community", "district": "320324",
		"address": "江苏省徐州市睢宁县八一东路 12 号", "declaration": true,
	},
	"disability_certificate": {
		"applicant_name": "黄伟", "id_number": idNumber("32038119780826301"), "phone": "18361234567",
		"applied_by": "guardian", "guardian_name": "黄淑珍", "guardian_relationship": "parent",
		"district": "320381", "address": "江苏省新沂市北京东路 35 号 4 幢 101 室",
		"disability_types": []string{"physical"}, "assessment_hospital": "xuzhou_central",
		"preferred_assessment_date": "2026-12-10",
		"condition_description":     "2019 年因交通事故导致左下肢截肢，现佩戴假肢，行走需借助拐杖，上下楼梯困难。",
		"id_card_scan":              scan("id.jpg", "image/jpeg", 401_000), "household_register_scan": scan("hukou.pdf", "application/pdf", 1_500_000),
		"photo": scan("photo.jpg", "image/jpeg", 75_000), "medical_records_scan": scan("records.pdf", "application/pdf", 3_100_000),
		"declaration": true,
	},
	"minimum_living_allowance": {
		"applicant_name": "刘淑珍", "id_number": idNumber("32032219600412202"), "phone": "13405218876",
		"district": "320322", "address": "江苏省徐州市沛县汉城路 201 号 3 单元 401 室",
		"household_size": 3.0, "monthly_income": 1450.0, "income_sources": []string{"pension", "support"},
		"hardship_reasons": []string{"illness", "other"}, "hardship_details": "配偶长期患病卧床，需要每月透析治疗，子女在外务工收入不稳定。",
		"owns_vehicle": false, "owns_other_housing": false, "bank_card_number": "6228480402564890018",
		"household_register_scan": scan("hukou.jpg", "image/jpeg", 650_000), "income_proof_scan": scan("income.pdf", "application/pdf", 420_000),
		"consent_to_checks": true, "declaration": true,
	},
	"household_registration_transfer": {
		"applicant_name": "杨丽娟", "id_number": idNumber("37132319910903402"), "phone": "17798765432",
		"transfer_reason": "marriage", "spouse_name": "张明", "spouse_id_number": idNumber("32030219890515301"),
		"from_address": "山东省临沂市沂水县沂城街道正阳路 100 号", "to_district": "320302",
		"to_address": "江苏省徐州市鼓楼区淮海东路 56 号 1 单元 801 室", "accompanying_persons": 1.0,
		"planned_move_date":       "2026-12-15",
		"household_register_scan": scan("hukou.jpg", "image/jpeg", 700_000), "reason_proof_scan": scan("marriage.jpg", "image/jpeg", 510_000),
		"declaration": true,
	},
	"real_estate_register_inquiry": {
		"applicant_name": "张伟", "id_number": idNumber("32030319870228301"), "phone": "13775889900",
		"inquiry_scope": "by_certificate", "certificate_number": "苏(2020)徐州市不动产权第0123456号",
		"district": "320303", "purpose": "loan", "result_delivery": "email", "result_email": "zhangwei1987@example.com",
		"declaration": true,
	},
	"employment_registration": {
		"applicant_name": "吴明", "id_number": idNumber("32031219980101301"), "phone": "19851234567",
		"email": "wuming98@example.com", "district": "320312", "address": "江苏省徐州市铜山区北京南路 8 号 6 幢 502 室",
		"registration_type": "unemployment", "termination_date": "2026-10-31", "termination_reason": "contract_expired",
		"education": "bachelor", "training_interests": []string{"it", "e_commerce"},
		"termination_certificate_scan": scan("cert.pdf", "application/pdf", 300_000), "declaration": true,
	},
}

// sampleApp is the stored application for a service's sample: attachments
// both as references in the values and as the store's attachment list.
func sampleApp(t testing.TB, code string) (store.Application, *catalog.Service) {
	t.Helper()
	svc, ok := catalog.Default().Service(code)
	if !ok {
		t.Fatalf("no service %s", code)
	}
	values, ok := samples[code]
	if !ok {
		t.Fatalf("no sample for %s", code)
	}
	a := store.Application{
		ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Service: code, ServiceVersion: svc.Version,
		State: lifecycle.Queued, Values: catalog.Values{}, CreatedAt: time.Date(2026, 11, 26, 21, 4, 5, 0, time.UTC),
	}
	for name, v := range values {
		a.Values[name] = v
		if ref, ok := v.(catalog.AttachmentRef); ok {
			a.Attachments = append(a.Attachments, store.Attachment{Field: name, Ref: ref})
		}
	}
	return a, svc
}

func TestSamplesAreValid(t *testing.T) {
	cat := catalog.Default()
	if len(samples) != len(cat.Services) {
		t.Errorf("%d samples for %d services: give every service one", len(samples), len(cat.Services))
	}
	for code, values := range samples {
		svc, ok := cat.Service(code)
		if !ok {
			t.Errorf("sample for unknown service %s", code)
			continue
		}
		if errs := catalog.ValidateAt(svc, values, testNow); len(errs) > 0 {
			t.Errorf("%s: the sample is not valid: %v", code, fmt.Sprint(errs))
		}
	}
}
