package alert

// MaxPublishBytes is SNS's limit on one published message, in bytes: the
// message body, subject and message attributes together.
const MaxPublishBytes = 256 * 1024

// SizeLimit is the largest Size that Build gives an alert. It stays 4 KiB
// below MaxPublishBytes, because Size counts the attributes as their names,
// types and values, which may be less than what SNS counts for them.
const SizeLimit = MaxPublishBytes - 4*1024

// Message returns the SNS message body for MessageStructure "json":
// {"default": document, "email": text}. SNS sends the document to SQS,
// Lambda, HTTP and HTTPS subscribers and the text to e-mail subscribers.
func Message(a *Alert) string {
	b := make([]byte, 0, 2*len(a.Document)+2*len(a.Text)+32)
	b = append(b, `{"default":`...)
	b = appendJSONString(b, string(a.Document))
	b = append(b, `,"email":`...)
	b = appendJSONString(b, a.Text)
	b = append(b, '}')
	return string(b)
}

// Size returns the bytes that publishing a takes: the message body that
// Message returns, the subject, and each attribute's name, type and value.
func (a *Alert) Size() int {
	n := len(Message(a)) + len(a.Subject)
	for _, at := range a.Attributes {
		n += len(at.Name) + len(at.Type) + len(at.Value())
	}
	return n
}
