package jsjson_test

import (
	"fmt"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func ExampleCanonical() {
	body := []byte(`{ "type": "test.event", "2": "b", "1": "a", "n": 1.0, "url": "a\/b" }`)
	canonical, err := jsjson.Canonical(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(canonical))
	// Output: {"1":"a","2":"b","type":"test.event","n":1,"url":"a/b"}
}

func ExampleParse() {
	v, err := jsjson.Parse([]byte(`{"id":"evt_1","amount":1e400}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := v.Get("id")
	amount, _ := v.Get("amount")
	fmt.Println(id.Str, amount.Literal, amount.Num)
	// Output: evt_1 1e400 +Inf
}
