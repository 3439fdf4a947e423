// Package snspub publishes alerts to SNS, one topic per event category plus
// the catch-all topic alert.TopicOther.
package snspub

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/clinicops/cobalt-receiver/shared/alert"
)

// API is the part of the SNS client that Publisher uses.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// IAMActions returns the IAM actions Publish needs on each topic. A topic
// encrypted with a customer managed KMS key also needs kms:GenerateDataKey*
// and kms:Decrypt on that key.
func IAMActions() []string {
	return []string{"sns:Publish"}
}

// Publisher publishes alerts to the SNS topic of their category. It
// implements alert.Publisher.
type Publisher struct {
	client API
	topics map[string]string
}

var _ alert.Publisher = (*Publisher)(nil)

// New returns a Publisher that sends through client to topicARNs, which maps
// each topic of alert.Topics to its ARN. It returns an error naming every
// topic without an ARN, or a nil client.
func New(client API, topicARNs map[string]string) (*Publisher, error) {
	if client == nil {
		return nil, errors.New("snspub: SNS client is nil")
	}
	topics := make(map[string]string, len(topicARNs))
	var missing []string
	for _, topic := range alert.Topics() {
		arn := strings.TrimSpace(topicARNs[topic])
		if arn == "" {
			missing = append(missing, topic)
			continue
		}
		topics[topic] = arn
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("snspub: no topic ARN for %s: every topic of alert.Topics needs one", strings.Join(missing, ", "))
	}
	return &Publisher{client: client, topics: topics}, nil
}

// Publish publishes a to the topic of a.Topic with MessageStructure "json"
// (alert.Message), its subject and its attributes, and returns the SNS
// message id. Errors name the event id and topic, never the message.
func (p *Publisher) Publish(ctx context.Context, a *alert.Alert) (string, error) {
	if a == nil {
		return "", errors.New("snspub: alert is nil")
	}
	arn, ok := p.topics[a.Topic]
	if !ok {
		return "", fmt.Errorf("snspub: publish alert for event %s: unknown topic %q", quoteID(a.EventID), a.Topic)
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(arn),
		Message:           aws.String(alert.Message(a)),
		MessageStructure:  aws.String("json"),
		MessageAttributes: attributes(a.Attributes),
	}
	if a.Subject != "" {
		in.Subject = aws.String(a.Subject)
	}
	out, err := p.client.Publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("snspub: publish alert for event %s to topic %s (%s): %w",
			quoteID(a.EventID), a.Topic, arn, err)
	}
	return aws.ToString(out.MessageId), nil
}

func attributes(attrs []alert.Attribute) map[string]types.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]types.MessageAttributeValue, len(attrs))
	for _, at := range attrs {
		m[at.Name] = types.MessageAttributeValue{
			DataType:    aws.String(at.Type),
			StringValue: aws.String(at.Value()),
		}
	}
	return m
}

// quoteID quotes an event id for an error message, cut to 128 bytes so that
// a long id does not flood the log.
func quoteID(id string) string {
	const maxBytes = 128
	if len(id) > maxBytes {
		return fmt.Sprintf("%q...", id[:maxBytes])
	}
	return fmt.Sprintf("%q", id)
}
