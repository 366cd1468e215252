package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape of a Prometheus text endpoint.
type Scrape map[string]*dto.MetricFamily

// ParseMetrics parses the Prometheus text format.
func ParseMetrics(r io.Reader) (Scrape, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return families, nil
}

// ScrapeURL scrapes a plain HTTP metrics endpoint.
func ScrapeURL(ctx context.Context, url string) (Scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: %s", url, resp.Status)
	}
	return ParseMetrics(resp.Body)
}

// Observed is the sum and count of the observations of a histogram (or summary).
type Observed struct {
	Sum   float64
	Count float64
}

// Mean is the mean observation, 0 for none.
func (o Observed) Mean() float64 {
	if o.Count == 0 {
		return 0
	}
	return o.Sum / o.Count
}

// Minus returns o without what before had observed.
func (o Observed) Minus(before Observed) Observed {
	return Observed{Sum: o.Sum - before.Sum, Count: o.Count - before.Count}
}

// Histogram adds up the histograms of the family name whose labels have the values of match.
func (s Scrape) Histogram(name string, match map[string]string) Observed {
	var o Observed
	family, ok := s[name]
	if !ok {
		return o
	}
	for _, m := range family.GetMetric() {
		if !matches(m, match) {
			continue
		}
		if h := m.GetHistogram(); h != nil {
			o.Sum += h.GetSampleSum()
			o.Count += float64(h.GetSampleCount())
		}
	}
	return o
}

// Value adds up the gauges or counters of the family name whose labels have the values of match.
func (s Scrape) Value(name string, match map[string]string) float64 {
	var v float64
	family, ok := s[name]
	if !ok {
		return v
	}
	for _, m := range family.GetMetric() {
		if !matches(m, match) {
			continue
		}
		switch {
		case m.GetGauge() != nil:
			v += m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			v += m.GetCounter().GetValue()
		case m.GetUntyped() != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v
}

// LabelValues returns the values of label among the metrics of the family name whose labels have the values of
// match.
func (s Scrape) LabelValues(name, label string, match map[string]string) []string {
	var values []string
	family, ok := s[name]
	if !ok {
		return nil
	}
	for _, m := range family.GetMetric() {
		if !matches(m, match) {
			continue
		}
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				values = append(values, l.GetValue())
			}
		}
	}
	return values
}

// matches tells whether m has the label values of match; a label m does not have counts as empty.
func matches(m *dto.Metric, match map[string]string) bool {
	for name, want := range match {
		got := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				got = l.GetValue()
				break
			}
		}
		if got != want {
			return false
		}
	}
	return true
}
