// loadgen: HTTP/1.1 keep-alive TLS load for the admission benchmarks, in Go so that the client is not the
// bottleneck on a 2-core machine. Closed loop (-concurrency N) measures throughput; open loop (-rate R)
// measures latency at a fixed arrival rate without coordinated omission (latency counts from the
// scheduled send time). Prints one JSON object.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

type result struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"perSecond"`
	P50Ms      float64 `json:"p50Ms"`
	P90Ms      float64 `json:"p90Ms"`
	P95Ms      float64 `json:"p95Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`
}

func main() {
	url := flag.String("url", "", "target URL")
	bodyFile := flag.String("body", "", "request body file (POST); empty: GET")
	caFile := flag.String("ca", "", "CA bundle for the server certificate")
	concurrency := flag.Int("concurrency", 4, "closed loop: parallel connections")
	rate := flag.Float64("rate", 0, "open loop: requests per second (0: closed loop)")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	certFile := flag.String("cert", "", "client certificate (kube-apiserver's x509 authentication)")
	keyFile := flag.String("key", "", "client key for -cert")
	status := flag.Int("status", 200, "the HTTP status a successful request returns (201: a create)")
	flag.Parse()

	var body []byte
	if *bodyFile != "" {
		var err error
		if body, err = os.ReadFile(*bodyFile); err != nil {
			fail(err)
		}
	}
	pool := x509.NewCertPool()
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fail(err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	tlsConfig := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail(err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	conns := *concurrency
	if *rate > 0 {
		conns = 64
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     tlsConfig,
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, ForceAttemptHTTP2: false,
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1, as kube-apiserver
	}}
	send := func() error {
		var req *http.Request
		var err error
		if body != nil {
			req, err = http.NewRequest("POST", *url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req, err = http.NewRequest("GET", *url, nil)
		}
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != *status {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	// warm the connections
	for i := 0; i < conns && i < 8; i++ {
		_ = send()
	}

	var mu sync.Mutex
	var lat []time.Duration
	errors := 0
	firstErr := ""
	record := func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errors++
			if firstErr == "" {
				firstErr = err.Error()
			}
			return
		}
		lat = append(lat, d)
	}
	start := time.Now()
	deadline := start.Add(*duration)
	var wg sync.WaitGroup
	if *rate > 0 {
		interval := time.Duration(float64(time.Second) / *rate)
		sem := make(chan struct{}, conns*4)
		for next := start; next.Before(deadline); next = next.Add(interval) {
			time.Sleep(time.Until(next))
			sem <- struct{}{}
			wg.Add(1)
			go func(scheduled time.Time) {
				defer wg.Done()
				err := send()
				record(time.Since(scheduled), err)
				<-sem
			}(next)
		}
	} else {
		for i := 0; i < conns; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					t0 := time.Now()
					err := send()
					record(time.Since(t0), err)
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))]) / 1e6
	}
	out := result{Requests: len(lat), Errors: errors, Seconds: elapsed, PerSecond: float64(len(lat)) / elapsed,
		P50Ms: pct(0.50), P90Ms: pct(0.90), P95Ms: pct(0.95), P99Ms: pct(0.99), MaxMs: pct(1.0), FirstError: firstErr}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}
