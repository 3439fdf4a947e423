package jsjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// nodeScript reads a JSON array of base64 texts on stdin, decodes each as
// Node's Buffer does, and writes for each either the base64 UTF-8 bytes of
// JSON.stringify(JSON.parse(text)) or the name of the error thrown.
const nodeScript = `
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  const inputs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = inputs.map(b64 => {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    try {
      const out = JSON.stringify(JSON.parse(text));
      return {ok: Buffer.from(out, 'utf8').toString('base64')};
    } catch (e) {
      return {error: e.name};
    }
  });
  process.stdout.write(JSON.stringify(results));
});
`

// nodeResult is the outcome of JSON.stringify(JSON.parse(text)) in Node.
type nodeResult struct {
	OK    []byte `json:"ok"`
	Error string `json:"error"`
}

// nodePath returns the node binary, skipping the test when it is missing
// unless stand-ins are required.
func nodePath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err == nil {
		return path
	}
	if os.Getenv(testenv.EnvRequire) == "1" {
		t.Fatalf("node not found but %s=1: install Node.js: %v", testenv.EnvRequire, err)
	}
	t.Skipf("node not found, skipping the comparison with JavaScript: %v", err)
	return ""
}

// runNode evaluates every input in one node process.
func runNode(t *testing.T, node string, inputs [][]byte) []nodeResult {
	t.Helper()
	stdin, err := json.Marshal(inputs)
	if err != nil {
		t.Fatalf("encode inputs: %v", err)
	}
	cmd := exec.Command(node, "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node failed: %v\n%s", err, stderr.String())
	}
	var results []nodeResult
	if err := json.Unmarshal(stdout, &results); err != nil {
		t.Fatalf("decode node output: %v", err)
	}
	if len(results) != len(inputs) {
		t.Fatalf("node returned %d results for %d inputs", len(results), len(inputs))
	}
	return results
}

func TestCanonicalMatchesNode(t *testing.T) {
	node := nodePath(t)
	inputs := differentialInputs()
	results := runNode(t, node, inputs)

	failures := 0
	for i, in := range inputs {
		if msg := compareWithNode(in, results[i]); msg != "" {
			t.Errorf("input %d %s: %s", i, abbreviate(in), msg)
			if failures++; failures == 20 {
				t.Fatalf("stopping after %d mismatches", failures)
			}
		}
	}
	t.Logf("compared %d inputs with %s", len(inputs), node)
}

// compareWithNode returns why Canonical(in) differs from Node's result, or
// "" when they agree.
func compareWithNode(in []byte, want nodeResult) string {
	got, err := jsjson.Canonical(in)
	switch {
	case want.Error != "" && want.Error != "SyntaxError":
		return "node threw " + want.Error + "; keep differential inputs within node's limits"
	case want.Error != "" && err == nil:
		return "Canonical = " + abbreviate(got) + ", node threw SyntaxError"
	case want.Error == "" && err != nil:
		return "Canonical error " + err.Error() + ", node = " + abbreviate(want.OK)
	case err == nil && !bytes.Equal(got, want.OK):
		return "Canonical = " + abbreviate(got) + ", node = " + abbreviate(want.OK)
	}
	return ""
}

// abbreviate quotes b, keeping the first 300 bytes of long inputs. The
// generator is seeded, so the input index identifies the whole input.
func abbreviate(b []byte) string {
	const limit = 300
	if len(b) <= limit {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:limit])) + fmt.Sprintf("... (%d bytes)", len(b))
}

// differentialInputs returns the hand-picked inputs, then generated valid
// documents, then mutated ones that are mostly invalid.
func differentialInputs() [][]byte {
	var inputs [][]byte
	for _, s := range handPickedInputs {
		inputs = append(inputs, []byte(s))
	}
	inputs = append(inputs, nested(500, "[", "]"), nested(500, `{"a":`, "}"))

	g := newGenerator(20251021)
	for range 400 {
		inputs = append(inputs, []byte(g.document()))
	}
	for range 200 {
		inputs = append(inputs, []byte(g.mutate(g.document())))
	}
	for range 200 {
		inputs = append(inputs, []byte(g.floatLiteral()))
	}
	return inputs
}

// nested returns depth copies of open, the number 1, and depth copies of close.
func nested(depth int, open, close string) []byte {
	return []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth))
}

// handPickedInputs cover each JSON.parse and JSON.stringify rule at least once.
var handPickedInputs = []string{
	// Grammar accepted and rejected by JSON.parse.
	``, ` `, `{}`, `[]`, `""`, `null`, `true`, `false`, ` 1 `, "\t\r\n[\t\r\n]\t\r\n",
	`nul`, `True`, `NaN`, `Infinity`, `-Infinity`, `undefined`, `'a'`, `{a:1}`,
	`[1,]`, `{"a":1,}`, `[,1]`, `[1 2]`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1`,
	`[1`, `"abc`, `1 2`, `{} {}`, `// c` + "\n1", `/* c */1`, `[1]x`,
	"\ufeff{}", "\ufeff1", "\u00a01", "\v1", "\f1", "1\u2028", "\x001",
	// Numbers.
	`01`, `-01`, `00`, `1.`, `.5`, `-.5`, `+1`, `1e`, `1e+`, `1.e5`, `-`, `0x10`,
	`1_000`, `1E5`, `1e+05`, `-0`, `[-0, 0, -0.0]`, `1e21`, `1e-7`, `0.000001`,
	`123456789012345678901`, `1e400`, `-1e400`, `1e-400`, `25.0`, `1.0`,
	`9007199254740993`, `0.1e1`, `1e308`, `2e308`, `4.9406564584124654e-324`,
	// Strings and escapes.
	`"\/"`, `"\u002F"`, `"<>&"`, `"\u003c\u003E\u0026"`, `"\b\f\n\r\t"`,
	`"\u0000\u0001\u001f\u007f"`, `"\u00e9\u00E9"`, `"\u2028\u2029"`,
	`"\ud83d\ude00"`, `"\uD83D\uDE00"`, `"\ud83d"`, `"\ude00"`,
	`"\ud83d\ud83d\ude00"`, `"\ude00\ud83d"`, `"\ud83dx\ude00"`, `"\ud83d\n"`,
	`"\u12"`, `"\u12G4"`, `"\x41"`, `"\a"`, `"\'"`, `"\U0041"`, `"\`,
	"\"\t\"", "\"\n\"", "\"\x1f\"", "\"\x7f\"", "\"\u2028\"",
	// Invalid UTF-8 inside and outside strings.
	"\"\xff\"", "\"\xe2\x82A\"", "\"\xe2\x82\"", "\"\xed\xa0\x80\"", "\"\xf0\x9f\x98\"",
	"\"\xf4\x90\x80\x80\"", "\"\xc0\xaf\"", "\"\xe0\x80\x80\"", "\"\xf8\x88\x80\x80\x80\"",
	"\xff", "[\xff]", "{\"a\xff\":1}", "\"\xef\xbf\xbd\"",
	// Key order and duplicates.
	`{"b":1,"a":2,"1":3,"0":4}`, `{"a":1,"b":2,"a":3}`, `{"1":1,"1":2,"0":3}`,
	`{"4294967295":1,"4294967294":2,"4294967296":3,"0":4}`,
	`{"01":1,"1":2,"-1":3,"1.0":4,"1e0":5," 1":6}`, `{"\u0031":1,"0":2}`,
	`{"__proto__":1,"constructor":2}`, `{"__proto__":{"a":1}}`, `{"":1,"":2}`,
	`{"a":{"2":1,"1":{"b":2,"0":3}},"0":[{"z":1,"9":2}]}`,
	`{"b":1,"a":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,
	  "m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"s":19,"a":20,"5":21,"b":22}`,
}
