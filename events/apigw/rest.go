package apigw

import (
	"encoding/base64"
	"fmt"
)

// restEvent is a REST API proxy event, payload format 1.0, with the fields
// API Gateway sends for a request without query string, path parameters,
// stage variables or authorizer. Field names match aws-lambda-go's
// events.APIGatewayProxyRequest.
type restEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  restContext         `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type restContext struct {
	AccountID         string       `json:"accountId"`
	APIID             string       `json:"apiId"`
	DomainName        string       `json:"domainName"`
	DomainPrefix      string       `json:"domainPrefix"`
	ExtendedRequestID string       `json:"extendedRequestId"`
	HTTPMethod        string       `json:"httpMethod"`
	Identity          restIdentity `json:"identity"`
	Path              string       `json:"path"`
	Protocol          string       `json:"protocol"`
	RequestID         string       `json:"requestId"`
	RequestTime       string       `json:"requestTime"`
	RequestTimeEpoch  int64        `json:"requestTimeEpoch"`
	ResourceID        string       `json:"resourceId"`
	ResourcePath      string       `json:"resourcePath"`
	Stage             string       `json:"stage"`
}

type restIdentity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// RESTEvent returns the REST API event (payload format 1.0) of d as indented
// JSON: resource /webhooks/cobalt on stage "prod", header names in canonical
// MIME case ("Cobalt-Verification", "Webhook-Id") in both headers and
// multiValueHeaders, since REST APIs keep the case the sender used. A
// request without a body has a null body, as API Gateway sends it.
func RESTEvent(d Delivery) ([]byte, error) {
	headers := map[string]string{}
	multi := map[string][]string{}
	for _, h := range d.headers() {
		headers[h.Name] = h.Value
		multi[h.Name] = append(multi[h.Name], h.Value)
	}
	var body *string
	text, encoded := d.body()
	epoch, received := d.receiveTime()
	if len(d.Body) > 0 {
		body = &text
	}
	event := restEvent{
		Resource:          Path,
		Path:              Path,
		HTTPMethod:        d.method(),
		Headers:           headers,
		MultiValueHeaders: multi,
		RequestContext: restContext{
			AccountID:         accountID,
			APIID:             apiID,
			DomainName:        domainName,
			DomainPrefix:      apiID,
			ExtendedRequestID: base64.StdEncoding.EncodeToString(d.derive("extended", 11)),
			HTTPMethod:        d.method(),
			Identity:          restIdentity{SourceIP: sourceIP},
			Path:              "/" + restStage + Path,
			Protocol:          "HTTP/1.1",
			RequestID:         uuid(d.derive("rest-request", 16)),
			RequestTime:       received,
			RequestTimeEpoch:  epoch,
			ResourceID:        "r3s0ur",
			ResourcePath:      Path,
			Stage:             restStage,
		},
		Body:            body,
		IsBase64Encoded: encoded,
	}
	return marshal(event)
}

// uuid formats 16 bytes as a version 4 UUID string.
func uuid(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
