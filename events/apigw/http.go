package apigw

import (
	"encoding/base64"
	"strings"
)

// httpEvent is an HTTP API proxy event, payload format 2.0, with the fields
// API Gateway sends for a request without cookies, query string, path
// parameters or authorizer. Field names match aws-lambda-go's
// events.APIGatewayV2HTTPRequest.
type httpEvent struct {
	Version         string            `json:"version"`
	RouteKey        string            `json:"routeKey"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Headers         map[string]string `json:"headers"`
	RequestContext  httpContext       `json:"requestContext"`
	Body            string            `json:"body,omitempty"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

type httpContext struct {
	AccountID    string          `json:"accountId"`
	APIID        string          `json:"apiId"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	HTTP         httpDescription `json:"http"`
	RequestID    string          `json:"requestId"`
	RouteKey     string          `json:"routeKey"`
	Stage        string          `json:"stage"`
	Time         string          `json:"time"`
	TimeEpoch    int64           `json:"timeEpoch"`
}

type httpDescription struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPEvent returns the HTTP API event (payload format 2.0) of d as indented
// JSON: route "ANY /webhooks/cobalt", stage "$default", header names in
// lower case as HTTP APIs deliver them.
func HTTPEvent(d Delivery) ([]byte, error) {
	headers := map[string]string{}
	for _, h := range d.headers() {
		headers[strings.ToLower(h.Name)] = h.Value
	}
	body, encoded := d.body()
	epoch, received := d.receiveTime()
	event := httpEvent{
		Version:        "2.0",
		RouteKey:       RouteKey,
		RawPath:        Path,
		RawQueryString: "",
		Headers:        headers,
		RequestContext: httpContext{
			AccountID:    accountID,
			APIID:        apiID,
			DomainName:   domainName,
			DomainPrefix: apiID,
			HTTP: httpDescription{
				Method:   d.method(),
				Path:     Path,
				Protocol: "HTTP/1.1",
				SourceIP: sourceIP,
			},
			// HTTP API request ids are 16 characters of base64, 11 bytes.
			RequestID: base64.StdEncoding.EncodeToString(d.derive("request", 11)),
			RouteKey:  RouteKey,
			Stage:     "$default",
			Time:      received,
			TimeEpoch: epoch,
		},
		Body:            body,
		IsBase64Encoded: encoded,
	}
	return marshal(event)
}
