package signature_test

import (
	"fmt"

	"github.com/clinicops/cobalt-receiver/shared/signature"
)

func ExampleVerify() {
	secrets := []signature.Secret{"whsec_old", "whsec_current"}

	// A Node sender signs JSON.stringify(event); this body was pretty-printed
	// on the way, so only the re-serialized form matches.
	header := signature.Sign([]byte(`{"id":"evt_1","type":"test.event","data":{}}`), "whsec_current")
	body := []byte("{\n  \"id\": \"evt_1\",\n  \"type\": \"test.event\",\n  \"data\": {}\n}")

	method, err := signature.Verify(body, header, secrets)
	fmt.Println(method, err)

	_, err = signature.Verify(body, header[:63], secrets)
	fmt.Println(err)
	// Output:
	// reserialized <nil>
	// signature header malformed: 63 characters, want 64
}

func ExampleSign() {
	fmt.Println(signature.Sign([]byte(`{"id":"evt_1"}`), "whsec_current"))
	// Output: b7212796d8ea86f2166618caee707d5165d92e7c445e35d8f8a1c5eef4937b84
}
