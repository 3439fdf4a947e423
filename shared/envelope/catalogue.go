package envelope

import (
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// Format is a constraint on the text of a string field.
type Format string

// Field formats, named as in JSON Schema.
const (
	FormatNone Format = ""
	// FormatDateTime is an ISO 8601 date-time as ParseTime accepts it.
	FormatDateTime Format = "date-time"
	// FormatDate is a calendar date, YYYY-MM-DD.
	FormatDate Format = "date"
)

// Field is one documented member of an event type's data object.
type Field struct {
	// Name is the documented member name.
	Name string
	// Aliases are other names the same member has been sent under. A member
	// under Name or under any alias satisfies the field.
	Aliases []string
	// Types are the JSON types the member may take.
	Types []jsjson.Kind
	// Expected marks a member whose absence is a schema issue. Members the
	// documentation calls optional or conditional are not expected.
	Expected bool
	// Format constrains the text of a string member.
	Format Format
	// ItemTypes are the JSON types each element of an array member may
	// take. Empty means any type.
	ItemTypes []jsjson.Kind
}

// TypeSpec is the catalogue entry of one documented event type.
type TypeSpec struct {
	Type     string
	Category string
	Kind     Kind
	// Fields are the documented members of data.
	Fields []Field
	// Codes are the documented reason codes. Cobalt adds codes without
	// notice, so a code outside this list is not a schema issue.
	Codes []string
}

// JSON type sets of the catalogue. Ids that are usually strings have also
// arrived as JSON numbers, so every id field takes both.
var (
	typeString         = []jsjson.Kind{jsjson.String}
	typeNumber         = []jsjson.Kind{jsjson.Number}
	typeObject         = []jsjson.Kind{jsjson.Object}
	typeArray          = []jsjson.Kind{jsjson.Array}
	typeID             = []jsjson.Kind{jsjson.String, jsjson.Number}
	typeNullableString = []jsjson.Kind{jsjson.String, jsjson.Null}
	typeNullableID     = []jsjson.Kind{jsjson.String, jsjson.Number, jsjson.Null}
)

// expected returns an expected field.
func expected(name string, types []jsjson.Kind) Field {
	return Field{Name: name, Types: types, Expected: true}
}

// optional returns a field that may be absent.
func optional(name string, types []jsjson.Kind) Field {
	return Field{Name: name, Types: types}
}

// alias returns f with other accepted names.
func (f Field) alias(names ...string) Field {
	f.Aliases = names
	return f
}

// format returns f with a text format.
func (f Field) format(format Format) Field {
	f.Format = format
	return f
}

// mrnField returns an MRN field. Cobalt has sent the MRN as both mrn and
// patient_mrn, so each name accepts the other.
func mrnField(name string, types []jsjson.Kind) Field {
	other := "patient_mrn"
	if name == "patient_mrn" {
		other = "mrn"
	}
	return expected(name, types).alias(other)
}

// appointmentIDField returns the appointment id field, also sent as id.
func appointmentIDField(name string) Field {
	other := "id"
	if name == "id" {
		other = "appointment_id"
	}
	return expected(name, typeID).alias(other)
}

// dateTimeField returns the appointment date-time, sent as date_time or
// datetime.
func dateTimeField(name string) Field {
	other := "datetime"
	if name == "datetime" {
		other = "date_time"
	}
	return expected(name, typeString).alias(other).format(FormatDateTime)
}

// reasonsField is the array of {code, description} objects on newer failure
// events. Older failure events have only failure_reason, so it is optional
// wherever failure_reason is documented too.
var reasonsField = Field{Name: reasonsKey, Types: typeArray, ItemTypes: typeObject}

// expectedReasons is reasonsField on types that document no failure_reason.
var expectedReasons = Field{Name: reasonsKey, Types: typeArray, ItemTypes: typeObject, Expected: true}

// catalogue lists every documented event type, grouped by category.
var catalogue = []TypeSpec{
	{
		Type: "appointment.created", Category: "appointment", Kind: KindSuccess,
		Fields: []Field{
			appointmentIDField("appointment_id"),
			mrnField("mrn", typeString),
			dateTimeField("date_time"),
			expected("timezone", typeString),
			expected("provider_id", typeID),
			expected("provider_name", typeString),
			optional("secondary_provider_id", typeNullableID),
		},
	},
	{
		Type: "appointment.updated", Category: "appointment", Kind: KindSuccess,
		Fields: []Field{
			appointmentIDField("id"),
			expected("ehr_appointment_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("patient_name", typeString),
			dateTimeField("datetime"),
			expected("duration", typeNumber),
			expected("location", typeString),
			expected("status", typeString),
			expected("provider_name", typeString),
			expected("appointment_type", typeString),
			expected("appointment_mode", typeString),
			expected("updated_fields", typeObject),
		},
	},
	{
		Type: "appointment.failed", Category: "appointment", Kind: KindFailure,
		Fields: []Field{
			appointmentIDField("appointment_id"),
			mrnField("mrn", typeString),
			expected("failure_reason", typeString),
			reasonsField,
		},
		Codes: []string{
			"PATIENT_NOT_FOUND", "PROVIDER_NOT_FOUND", "INVALID_VISIT_TYPE",
			"LOCATION_NOT_FOUND", "TIME_SLOT_UNAVAILABLE", "PROVIDER_UNAVAILABLE",
			"INVALID_COMPLAINT_TYPE", "TERMINAL_FAILURE",
		},
	},
	{
		Type: "appointment.update_failed", Category: "appointment", Kind: KindFailure,
		Fields: []Field{
			appointmentIDField("appointment_id"),
			mrnField("mrn", typeString),
			expected("failure_reason", typeString),
			reasonsField,
		},
		Codes: []string{
			"APPOINTMENT_NOT_FOUND", "SECTION_LOCKED", "INVALID_STATUS", "UPDATE_BLOCKED",
			"CLAIMS_ASSOCIATED", "UPDATE_VERIFICATION_FAILED", "TERMINAL_FAILURE",
		},
	},
	{
		Type: "patient.created", Category: "patient", Kind: KindSuccess,
		Fields: []Field{
			expected("patient_id", typeID),
			mrnField("mrn", typeString),
			expected("first_name", typeString),
			expected("last_name", typeString),
			expected("date_of_birth", typeString).format(FormatDate),
			expected("sex", typeString),
			// Not every patient has an e-mail address or a phone number.
			optional("email", typeNullableString),
			optional("phone", typeNullableString),
		},
	},
	{
		Type: "patient.failed", Category: "patient", Kind: KindFailure,
		Fields: []Field{
			expected("patient_id", typeID),
			expected("failure_reason", typeString),
			reasonsField,
			// Sent with DUPLICATE_PATIENT only.
			optional("existing_mrn", typeString),
		},
		Codes: []string{
			"DUPLICATE_PATIENT", "INVALID_DATE_OF_BIRTH", "REQUIRED_FIELD_MISSING",
			"INSURANCE_NOT_FOUND", "INVALID_INSURANCE_POLICY_TYPE", "PCP_PROVIDER_NOT_FOUND",
			"REFERRING_PROVIDER_NOT_FOUND", "PHARMACY_NOT_FOUND", "PERMISSION_DENIED",
			"TERMINAL_FAILURE",
		},
	},
	{
		Type: "patient.insurance.added", Category: "patient", Kind: KindSuccess,
		Fields: []Field{
			expected("patient_insurance_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("member_id", typeID),
			expected("group_id", typeID),
			expected("plan_begin_date", typeString).format(FormatDate),
			expected("copayment", typeNumber),
			{Name: "audit_trail", Types: typeArray, ItemTypes: typeObject, Expected: true},
		},
	},
	{
		Type: "patient.insurance.failed", Category: "patient", Kind: KindFailure,
		Fields: []Field{
			expected("patient_insurance_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("error", typeString),
		},
	},
	{
		Type: "task.created", Category: "task", Kind: KindSuccess,
		Fields: []Field{
			expected("task_id", typeID),
			expected("emr_task_id", typeID),
			expected("subject", typeString),
			expected("description", typeString),
			expected("assignee_user_id", typeID),
			optional("patient_mrn", typeString).alias("mrn"),
		},
	},
	{
		Type: "task.failed", Category: "task", Kind: KindFailure,
		Fields: []Field{
			expected("task_id", typeID),
			expected("failure_reason", typeString),
			reasonsField,
		},
		Codes: []string{
			"PATIENT_NOT_FOUND", "ASSIGNEE_NOT_FOUND", "INVALID_TASK_DATA",
			"PERMISSION_DENIED", "TERMINAL_FAILURE",
		},
	},
	{
		Type: "note.uploaded", Category: "note", Kind: KindSuccess,
		Fields: []Field{
			appointmentIDField("appointment_id"),
			mrnField("patient_mrn", typeString),
			expected("note_type", typeString),
			expected("provider_name", typeString),
		},
	},
	{
		Type: "note.failed", Category: "note", Kind: KindFailure,
		Fields: []Field{
			appointmentIDField("appointment_id"),
			expected("timezone", typeString),
			mrnField("mrn", typeString),
			expectedReasons,
			optional("failure_reason", typeString),
		},
		Codes: []string{
			"SECTION_NOT_FOUND", "PATIENT_NOT_FOUND", "APPOINTMENT_NOT_FOUND", "UNKNOWN_ERROR",
		},
	},
	{
		Type: "document.uploaded", Category: "document", Kind: KindSuccess,
		Fields: []Field{
			expected("document_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("folder_name", typeString),
		},
	},
	{
		Type: "document.failed", Category: "document", Kind: KindFailure,
		Fields: []Field{
			expected("document_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("folder_name", typeString),
			expectedReasons,
			optional("failure_reason", typeString),
		},
		Codes: []string{
			"PATIENT_NOT_FOUND", "DOCUMENT_CLASS_NOT_FOUND", "INVALID_DOCUMENT_CONTENT",
			"DOCUMENT_UPLOAD_FAILED", "UNKNOWN_ERROR",
		},
	},
	{
		// Sent by eClinicalWorks connections only.
		Type: "document.upload_failed", Category: "document", Kind: KindFailure,
		Fields: []Field{
			expected("document_id", typeID),
			mrnField("patient_mrn", typeString),
			expected("folder_name", typeString),
			expected("failure_reason", typeString),
			reasonsField,
		},
		Codes: []string{"PATIENT_NOT_FOUND", "DOCUMENT_CLASS_NOT_FOUND", "UNKNOWN_ERROR"},
	},
	{
		Type: "message.created", Category: "message", Kind: KindSuccess,
		Fields: []Field{
			expected("message_id", typeID),
			expected("provider_id", typeID),
			expected("subject", typeString),
		},
	},
	{
		Type: "message.failed", Category: "message", Kind: KindFailure,
		Fields: []Field{
			expected("message_id", typeID),
			expected("provider_id", typeID),
			expected("failure_reason", typeString),
			reasonsField,
		},
		Codes: []string{
			"MESSAGE_SEND_FAILED", "PROVIDER_NOT_FOUND", "INVALID_MESSAGE_CONTENT",
			"MESSAGE_TOO_LONG", "TERMINAL_FAILURE",
		},
	},
	{
		Type: "telephone_encounter.created", Category: "telephone_encounter", Kind: KindSuccess,
		Fields: telephoneEncounterFields(
			// Sent only when a medication refill was added.
			optional("refill_medication_name", typeString),
		),
	},
	{
		// The encounter exists, but the medication refill could not be added
		// and needs manual follow-up.
		Type: "telephone_encounter.created_partial", Category: "telephone_encounter",
		Kind: KindPartial,
		Fields: telephoneEncounterFields(
			expected("refill_medication_name", typeString),
			expected("refill_failure_reason", typeString),
		),
	},
	{
		Type: "telephone_encounter.failed", Category: "telephone_encounter", Kind: KindFailure,
		Fields: []Field{
			expected("telephone_encounter_id", typeID),
			mrnField("patient_mrn", typeNullableString),
			expected("refill_medication_name", typeNullableString),
			expected("failure_reason", typeString),
		},
	},
	{
		Type: "telephone_encounter_action.created", Category: "telephone_encounter",
		Kind: KindSuccess,
		Fields: []Field{
			expected("action_id", typeID),
			expected("emr_appointment_id", typeID),
			expected("text", typeString),
		},
	},
	{
		Type: "telephone_encounter_action.failed", Category: "telephone_encounter",
		Kind: KindFailure,
		Fields: []Field{
			expected("action_id", typeID),
			expected("emr_appointment_id", typeNullableID),
			expected("failure_reason", typeString),
		},
	},
	{
		Type: "test.event", Category: CategoryTest, Kind: KindTest,
		Fields: []Field{
			expected("message", typeString),
			// NOTE: the documentation does not show the timestamp's form, so
			// both an ISO 8601 string and epoch milliseconds are accepted.
			expected("timestamp", typeID),
		},
	},
}

// telephoneEncounterFields returns the fields of telephone_encounter.created
// followed by extra.
func telephoneEncounterFields(extra ...Field) []Field {
	fields := []Field{
		expected("telephone_encounter_id", typeID),
		expected("emr_encounter_id", typeID),
		mrnField("patient_mrn", typeString),
		expected("provider_id", typeID),
		expected("location_id", typeID),
		expected("assigned_to_id", typeID),
		expected("reason", typeNullableString),
	}
	return append(fields, extra...)
}

// catalogueIndex maps each catalogue type to its position in catalogue.
var catalogueIndex = func() map[string]int {
	index := make(map[string]int, len(catalogue))
	for i, spec := range catalogue {
		index[spec.Type] = i
	}
	return index
}()

// lookup returns the shared catalogue entry of eventType. Callers must not
// modify it.
func lookup(eventType string) (*TypeSpec, bool) {
	i, ok := catalogueIndex[eventType]
	if !ok {
		return nil, false
	}
	return &catalogue[i], true
}

// Lookup returns a copy of the catalogue entry of eventType and whether the
// type is in the catalogue.
func Lookup(eventType string) (TypeSpec, bool) {
	spec, ok := lookup(eventType)
	if !ok {
		return TypeSpec{}, false
	}
	return spec.clone(), true
}

// Catalogue returns a copy of every catalogue entry, grouped by category.
func Catalogue() []TypeSpec {
	specs := make([]TypeSpec, len(catalogue))
	for i := range catalogue {
		specs[i] = catalogue[i].clone()
	}
	return specs
}

// clone returns a deep copy of s, so that callers cannot change the catalogue.
func (s *TypeSpec) clone() TypeSpec {
	c := *s
	c.Codes = append([]string(nil), s.Codes...)
	c.Fields = make([]Field, len(s.Fields))
	for i, f := range s.Fields {
		f.Aliases = append([]string(nil), f.Aliases...)
		f.Types = append([]jsjson.Kind(nil), f.Types...)
		f.ItemTypes = append([]jsjson.Kind(nil), f.ItemTypes...)
		c.Fields[i] = f
	}
	return c
}
