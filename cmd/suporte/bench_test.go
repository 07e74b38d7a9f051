package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"suporte/store/pgtemp"
)

// TestBenchSmall runs `suporte bench` on a few customers, both loops, and
// checks it finishes with every figure the README table is made of.
func TestBenchSmall(t *testing.T) {
	for _, rate := range []string{"0", "400"} {
		t.Run("rate "+rate, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out, errOut bytes.Buffer
			args := []string{"--customers", "40", "--rate", rate, "--reference", "200ms", "--dir", t.TempDir(), "--flows", "../../flows.yaml"}
			if err := runBench(ctx, args, nil, &out, &errOut); err != nil {
				t.Fatalf("bench: %v\n%s", err, errOut.String())
			}
			got := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				k, v, ok := strings.Cut(line, "=")
				if !ok {
					t.Fatalf("not key=value: %q", line)
				}
				got[k] = v
			}
			// 20 customers solve it in 6 messages, 20 ask for a person in 5.
			for k, want := range map[string]string{"messages": "220", "conversations": "40", "handoffs": "20", "latency_samples": "220"} {
				if got[k] != want {
					t.Errorf("%s=%s; want %s", k, got[k], want)
				}
			}
			for _, k := range []string{"engine_msgs_per_s", "latency_p50", "latency_p99", "latency_max", "peak_rss_mb", "db_bytes_per_conversation", "reference_commits_per_s", "ratio"} {
				if got[k] == "" {
					t.Errorf("no %s in:\n%s", k, out.String())
				}
			}
			for _, k := range []string{"ratio", "engine_cpu_us_per_msg"} {
				if n, err := strconv.ParseFloat(got[k], 64); err != nil || n <= 0 {
					t.Errorf("%s=%q; want a positive number", k, got[k])
				}
			}
			if !strings.HasSuffix(strings.TrimSpace(out.String()), "ratio="+got["ratio"]) {
				t.Error("ratio is not the last line")
			}
		})
	}
}

// TestBenchPostgres runs the same benchmark on PostgreSQL too, beside the
// same server's single-row commit rate.
func TestBenchPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"--customers", "40", "--reference", "200ms", "--dir", t.TempDir(), "--flows", "../../flows.yaml", "--postgres", pgtemp.Database(t)}
	if err := runBench(ctx, args, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
	}
	for _, k := range []string{"engine_msgs_per_s_pg", "reference_commits_per_s_pg", "latency_p99_pg", "peak_rss_mb_pg"} {
		if got[k] == "" {
			t.Errorf("no %s in:\n%s", k, out.String())
		}
	}
	for _, k := range []string{"ratio_pg", "engine_cpu_us_per_msg_pg", "round_trips_per_msg_pg", "peak_rss_mb_pg"} {
		if n, err := strconv.ParseFloat(got[k], 64); err != nil || n <= 0 {
			t.Errorf("%s=%q; want a positive number", k, got[k])
		}
	}
}
