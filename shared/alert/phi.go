package alert

import (
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// phiClass is the way a PHI value is searched for in free text.
type phiClass int

const (
	// phiWhole values (dates of birth, e-mail addresses, phone numbers,
	// addresses) are masked where their whole token sequence appears.
	phiWhole phiClass = iota + 1
	// phiName values are also masked word by word, so that "Doe, Jane"
	// is caught for the name "Jane Doe".
	phiName
	// phiNumber values (MRNs, member ids, SSNs) are also masked part by
	// part, for each part of three or more characters that has a digit.
	phiNumber
)

// normalizeKey lower-cases key and drops '_', '-' and spaces, so that
// patient_mrn, patientMrn and Patient-MRN compare equal.
func normalizeKey(key string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(key) {
		if r == '_' || r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// phiSuffixes maps normalized key endings to the class of PHI they name.
// A key is PHI when its normalized form ends in one of them, so
// existing_mrn, guarantor_phone and patient_date_of_birth all count.
var phiSuffixes = []struct {
	suffix string
	class  phiClass
}{
	{"mrn", phiNumber},
	{"medicalrecordnumber", phiNumber},
	{"memberid", phiNumber},
	{"subscriberid", phiNumber},
	{"policynumber", phiNumber},
	{"ssn", phiNumber},
	{"socialsecuritynumber", phiNumber},
	{"firstname", phiName},
	{"lastname", phiName},
	{"middlename", phiName},
	{"fullname", phiName},
	{"givenname", phiName},
	{"familyname", phiName},
	{"maidenname", phiName},
	{"preferredname", phiName},
	{"patientname", phiName},
	{"dateofbirth", phiWhole},
	{"birthdate", phiWhole},
	{"dob", phiWhole},
	{"email", phiWhole},
	{"emailaddress", phiWhole},
	{"phone", phiWhole},
	{"phonenumber", phiWhole},
	{"mobile", phiWhole},
	{"fax", phiWhole},
	{"address", phiWhole},
	{"addressline1", phiWhole},
	{"addressline2", phiWhole},
	{"address1", phiWhole},
	{"address2", phiWhole},
	{"street", phiWhole},
}

// phiExact lists normalized keys that are PHI only as a whole: "name" ends
// many keys that are not PHI (provider_name, folder_name).
var phiExact = map[string]phiClass{
	"name":       phiName,
	"zip":        phiWhole,
	"zipcode":    phiWhole,
	"postalcode": phiWhole,
}

// classifyKey returns the PHI class of a data key, or 0 when the key does
// not name PHI.
func classifyKey(key string) phiClass {
	k := normalizeKey(key)
	if class, ok := phiExact[k]; ok {
		return class
	}
	for _, s := range phiSuffixes {
		if strings.HasSuffix(k, s.suffix) {
			return s.class
		}
	}
	return 0
}

// changeFieldKeys name the member of a change record, such as an entry of
// patient.insurance.added's audit_trail, that names the field changed.
var changeFieldKeys = map[string]bool{"field": true, "fieldname": true, "attribute": true}

// changeValueKeys name the members of a change record that hold values of
// the field it names.
var changeValueKeys = map[string]bool{
	"before": true, "after": true, "attempted": true, "value": true,
	"oldvalue": true, "newvalue": true, "from": true, "to": true,
	"previous": true, "current": true,
}

// phiValue is one PHI value found in data, as text.
type phiValue struct {
	text  string
	class phiClass
}

// collectPHI returns the scalar values in data that are PHI. These are the
// values of PHI keys at any depth, including every scalar under a PHI key
// whose value is an object or array, and the values in a change record whose
// field member names a PHI key.
func collectPHI(data jsjson.Value) []phiValue {
	type item struct {
		v     jsjson.Value
		class phiClass
	}
	var found []phiValue
	stack := []item{{v: data}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch it.v.Kind {
		case jsjson.String, jsjson.Number:
			if it.class != 0 {
				found = append(found, phiValue{text: scalarText(it.v), class: it.class})
			}
		case jsjson.Array:
			for _, child := range it.v.Items {
				stack = append(stack, item{child, it.class})
			}
		case jsjson.Object:
			changed := changedFieldClass(it.v)
			for _, m := range it.v.Members {
				class := it.class
				if class == 0 {
					class = classifyKey(m.Key)
				}
				if class == 0 && changed != 0 && changeValueKeys[normalizeKey(m.Key)] {
					class = changed
				}
				stack = append(stack, item{m.Value, class})
			}
		}
	}
	return found
}

// changedFieldClass returns the PHI class of the field that a change record
// names, or 0 when obj is not a change record of a PHI field.
func changedFieldClass(obj jsjson.Value) phiClass {
	for _, m := range obj.Members {
		if changeFieldKeys[normalizeKey(m.Key)] && m.Value.Kind == jsjson.String {
			if class := classifyKey(m.Value.Str); class != 0 {
				return class
			}
		}
	}
	return 0
}

// scalarText returns the text of a string, or the literal of a number.
func scalarText(v jsjson.Value) string {
	switch v.Kind {
	case jsjson.String:
		return v.Str
	case jsjson.Number:
		if v.Literal != "" {
			return v.Literal
		}
		return formatNumber(v.Num)
	case jsjson.Bool:
		if v.Bool {
			return "true"
		}
		return "false"
	}
	return ""
}
