package feishu

import (
	"errors"
	"testing"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"

	"zhenggai/bot/feishu/feishufake"
)

// TestDecryptVectors: Feishu's example of its encryption ("加密原理": the
// Encrypt Key "test key" seals "hello world") opens to exactly that; a
// wrong key and garbage are refused as undecryptable. The SDK's
// EventDecrypt, which decrypt does not use, keeps the padding of the
// example and panics on the garbage.
func TestDecryptVectors(t *testing.T) {
	const example = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="
	if got, err := decrypt("test key", example); err != nil || string(got) != "hello world" {
		t.Errorf("Feishu's example: %q, %v", got, err)
	}
	if got, _ := larkevent.EventDecrypt(example, "test key"); string(got) == "hello world" {
		t.Log("the SDK's EventDecrypt strips padding now; decrypt could use it")
	}
	iv := []byte("0123456789abcdef")
	if _, err := decrypt("wrong key", feishufake.Encrypt(testEncKey, []byte(`{"type":"url_verification"}`), iv)); !errors.Is(err, errDecrypt) {
		t.Errorf("wrong key: %v, want errDecrypt", err)
	}
	if got, err := decrypt(testEncKey, feishufake.Encrypt(testEncKey, []byte("}x{"), iv)); err != nil || string(got) != "}x{" {
		t.Errorf("a brace before its pair: %q, %v", got, err)
	}
	for _, bad := range []string{"not base64!", "MDEyMzQ1Njc4OWFiY2RlZg==", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM="} {
		if _, err := decrypt(testEncKey, bad); !errors.Is(err, errDecrypt) {
			t.Errorf("%q: %v, want errDecrypt", bad, err)
		}
	}
}

// TestSignatureVector: hex(sha256(timestamp + nonce + Encrypt Key + body)),
// computed independently (sha256sum).
func TestSignatureVector(t *testing.T) {
	const want = "5d3e362cb44975bdbc74788ee4f501cc7fb8dd30609031900a2087cefd32c13f"
	if got := signature("1700000000", "n-1", "a-test-encrypt-key", []byte(`{"encrypt":"abc"}`)); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}
