// amdecode: decodes a webhook body flowwatch sent in format `alertmanager` with Alertmanager's
// own Go types (notify/webhook.Message, which embeds template.Data) and checks every field the
// way Alertmanager would have filled it. Used by test/integration/alertmanager.test.ts.
//
//	amdecode [-truncated N] < body.json
//
// Exit 0 and one JSON line {"ok":true,...} when the body holds; exit 1 with the problems otherwise.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strings"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"
)

func main() {
	truncated := flag.Int("truncated", -1, "expected truncatedAlerts (-1: any)")
	flag.Parse()
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail([]string{"read stdin: " + err.Error()})
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	// Strict: a field Alertmanager's types do not have is a problem, not something to ignore.
	var msg webhook.Message
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		fail([]string{"decode into webhook.Message: " + err.Error()})
	}
	if msg.Data == nil {
		fail([]string{"no template.Data decoded"})
	}
	d := msg.Data

	if msg.Version != "4" {
		bad("version = %q, want \"4\"", msg.Version)
	}
	if msg.GroupKey == "" {
		bad("groupKey is empty")
	}
	if *truncated >= 0 && msg.TruncatedAlerts != uint64(*truncated) {
		bad("truncatedAlerts = %d, want %d", msg.TruncatedAlerts, *truncated)
	}
	if d.Receiver == "" {
		bad("receiver is empty")
	}
	if d.ExternalURL != "" {
		if u, err := url.Parse(d.ExternalURL); err != nil || u.Scheme == "" || u.Host == "" {
			bad("externalURL %q is not an absolute URL", d.ExternalURL)
		}
	}
	if len(d.Alerts) == 0 {
		bad("no alerts")
	}

	// What template.Data would say for these alerts: status and the common labels/annotations.
	firing := 0
	for i, a := range d.Alerts {
		where := fmt.Sprintf("alerts[%d]", i)
		switch a.Status {
		case "firing":
			firing++
			if !a.EndsAt.IsZero() {
				bad("%s: firing with endsAt %s; Alertmanager sends the zero time", where, a.EndsAt)
			}
		case "resolved":
			if a.EndsAt.IsZero() || a.EndsAt.Before(a.StartsAt) {
				bad("%s: resolved with endsAt %s (startsAt %s)", where, a.EndsAt, a.StartsAt)
			}
		default:
			bad("%s: status %q", where, a.Status)
		}
		if a.StartsAt.IsZero() {
			bad("%s: startsAt is zero", where)
		}
		ls := model.LabelSet{}
		for k, v := range a.Labels {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		if err := ls.Validate(); err != nil {
			bad("%s: labels: %v", where, err)
		}
		if _, ok := a.Labels["alertname"]; !ok {
			bad("%s: no alertname label", where)
		}
		if want := ls.Fingerprint().String(); a.Fingerprint != want {
			bad("%s: fingerprint %q, Alertmanager computes %q", where, a.Fingerprint, want)
		}
		for _, k := range []string{"summary", "description", "evidence"} {
			if a.Annotations[k] == "" {
				bad("%s: annotation %s is missing", where, k)
			}
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(a.Annotations["evidence"]), &ev); err != nil {
			bad("%s: annotation evidence is not JSON: %v", where, err)
		}
		if a.GeneratorURL != "" {
			if u, err := url.Parse(a.GeneratorURL); err != nil || u.Scheme == "" {
				bad("%s: generatorURL %q is not an absolute URL", where, a.GeneratorURL)
			}
		}
	}
	wantStatus := "resolved"
	if firing > 0 {
		wantStatus = "firing"
	}
	if d.Status != wantStatus {
		bad("status = %q, want %q", d.Status, wantStatus)
	}
	if want := commonKV(d.Alerts, func(a template.Alert) template.KV { return a.Labels }); !sameKV(d.CommonLabels, want) {
		bad("commonLabels = %v, want %v", d.CommonLabels, want)
	}
	if want := commonKV(d.Alerts, func(a template.Alert) template.KV { return a.Annotations }); !sameKV(d.CommonAnnotations, want) {
		bad("commonAnnotations = %v, want %v", d.CommonAnnotations, want)
	}

	// Round trip: Alertmanager's types marshal back to the same JSON (so times are in Go's own
	// RFC 3339 form and no field was lost or renamed).
	again, err := json.Marshal(&msg)
	if err != nil {
		bad("marshal: %v", err)
	} else if diff := jsonDiff(raw, again); diff != "" {
		bad("re-marshalled by Alertmanager's types, the body differs: %s", diff)
	}

	if len(problems) > 0 {
		fail(problems)
	}
	fps := make([]string, 0, len(d.Alerts))
	for _, a := range d.Alerts {
		fps = append(fps, a.Fingerprint)
	}
	out, _ := json.Marshal(map[string]any{"ok": true, "status": d.Status, "alerts": len(d.Alerts), "fingerprints": fps, "truncatedAlerts": msg.TruncatedAlerts})
	fmt.Println(string(out))
}

func commonKV(alerts template.Alerts, kv func(template.Alert) template.KV) template.KV {
	out := template.KV{}
	if len(alerts) == 0 {
		return out
	}
	for k, v := range kv(alerts[0]) {
		out[k] = v
	}
	for _, a := range alerts[1:] {
		for k, v := range out {
			if kv(a)[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

func sameKV(a, b template.KV) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(map[string]string(a), map[string]string(b))
}

func jsonDiff(a, b []byte) string {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return err.Error()
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return err.Error()
	}
	if reflect.DeepEqual(x, y) {
		return ""
	}
	return fmt.Sprintf("sent %s, Alertmanager's types give %s", clip(string(a)), clip(string(b)))
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return strings.TrimSpace(s)
}

func fail(problems []string) {
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "amdecode:", p)
	}
	os.Exit(1)
}
