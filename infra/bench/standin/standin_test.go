package standin_test

import (
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/bench/standin"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:8000", false},
		{"http://127.0.0.2:8000", false},
		{"http://localhost:8000", false},
		{"http://[::1]:8000", false},
		{"https://127.0.0.1:8000", true},
		{"http://10.0.0.1:8000", true},
		{"http://dynamodb.us-east-1.amazonaws.com", true},
		{"http://169.254.169.254", true},
		{"127.0.0.1:8000", true},
	}
	for _, tt := range tests {
		err := standin.CheckLoopback(tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("CheckLoopback(%q) = %v, want error %v", tt.url, err, tt.wantErr)
		}
	}
}
