package catalog

import "sort"

// Stable FieldError codes. Screens translate them; the central API returns them.
const (
	CodeRequired           = "required"
	CodeUnknownField       = "unknown_field"
	CodeType               = "type"
	CodeMinLength          = "min_length"
	CodeMaxLength          = "max_length"
	CodeMin                = "min"
	CodeMax                = "max"
	CodePattern            = "pattern"
	CodeOption             = "option"
	CodeNumberInvalid      = "number.invalid"
	CodeDateInvalid        = "date.invalid"
	CodePhoneInvalid       = "phone.invalid"
	CodeIDNumberLength     = "id_number.length"
	CodeIDNumberFormat     = "id_number.format"
	CodeIDNumberChecksum   = "id_number.checksum"
	CodeIDNumberBirthDate  = "id_number.birth_date"
	CodeEmailInvalid       = "email.invalid"
	CodeAttachmentType     = "attachment.type"
	CodeAttachmentTooLarge = "attachment.too_large"
	CodeAttachmentInvalid  = "attachment.invalid"
)

// messages are the English explanations of the codes. They never quote a value.
var messages = map[string]string{
	CodeRequired:           "this field is required",
	CodeUnknownField:       "this form has no such field; remove the value",
	CodeType:               "the value has the wrong type for this field",
	CodeMinLength:          "too short: enter at least {min} characters",
	CodeMaxLength:          "too long: enter at most {max} characters",
	CodeMin:                "too small: enter at least {min}",
	CodeMax:                "too large: enter at most {max}",
	CodePattern:            "the value does not have the expected format",
	CodeOption:             "choose one of the listed options",
	CodeNumberInvalid:      "enter a number",
	CodeDateInvalid:        "enter a real calendar date as YYYY-MM-DD",
	CodePhoneInvalid:       "enter an 11-digit mainland mobile number starting with 1",
	CodeIDNumberLength:     "a resident identity number has 18 characters",
	CodeIDNumberFormat:     "a resident identity number is 17 digits followed by a digit or X",
	CodeIDNumberChecksum:   "the check character does not match; check the number for typing errors",
	CodeIDNumberBirthDate:  "the birth date in the identity number is not a real past date",
	CodeEmailInvalid:       "enter an email address such as name@example.com",
	CodeAttachmentType:     "this file type is not accepted; attach one of the accepted types",
	CodeAttachmentTooLarge: "the file is too large: attach a file of at most {max} bytes",
	CodeAttachmentInvalid:  "the attachment reference is incomplete; attach the file again",
}

// Codes lists every error code the validator can produce, sorted, so that
// the screens' translations can be checked for completeness.
func Codes() []string {
	out := make([]string, 0, len(messages))
	for c := range messages {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
