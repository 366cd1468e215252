package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// Memory is a Go process's memory: its live heap right after a forced garbage collection, the heap spans in use,
// its resident set size, and how much of that is anonymous memory (heap, stacks, runtime) and mapped files (the
// binary's code and data).
type Memory struct {
	HeapAlloc, HeapInuse, RSS, RSSAnon, RSSFile uint64
}

// ReadMemory forces a garbage collection in the process pid through its pprof endpoint (e.g.
// http://127.0.0.1:6060) and reads its memory. With profile not empty, the heap profile is written there.
func ReadMemory(ctx context.Context, pprofURL string, pid int, profile string) (Memory, error) {
	var m Memory
	body, err := get(ctx, pprofURL+"/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return m, err
	}
	defer body.Close()
	scanner := bufio.NewScanner(body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		key, value, ok := strings.Cut(strings.TrimPrefix(scanner.Text(), "# "), " = ")
		if !ok {
			continue
		}
		switch key {
		case "HeapAlloc":
			m.HeapAlloc, err = strconv.ParseUint(value, 10, 64)
		case "HeapInuse":
			m.HeapInuse, err = strconv.ParseUint(value, 10, 64)
		}
		if err != nil {
			return m, fmt.Errorf("parsing %s of the heap profile: %w", key, err)
		}
	}
	if err := scanner.Err(); err != nil {
		return m, fmt.Errorf("reading the heap profile: %w", err)
	}
	if m.HeapAlloc == 0 {
		return m, fmt.Errorf("the heap profile of %s has no HeapAlloc", pprofURL)
	}
	status, err := ProcStatus(pid)
	if err != nil {
		return m, err
	}
	m.RSS, m.RSSAnon, m.RSSFile = status["VmRSS"], status["RssAnon"], status["RssFile"]
	if profile != "" {
		if err := Download(ctx, pprofURL+"/debug/pprof/heap", profile); err != nil {
			return m, err
		}
	}
	return m, nil
}

func get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("getting %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// Download writes what url answers to file.
func Download(ctx context.Context, url, file string) error {
	body, err := get(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("creating %s: %w", file, err)
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}

// CreateClusters creates the realistic Clusters number from to to-1 with workers concurrent clients, and then,
// last, Cluster number to with its namespace: once the seed component's cache has that one, it has all of them
// (a watch delivers in the order of creation). It returns the namespace of the last Cluster.
func CreateClusters(ctx context.Context, c client.Client, from, to, workers int) (string, error) {
	next := make(chan int, max(0, to-from))
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	create := func(i int) error {
		cluster, err := RealisticCluster(i)
		if err != nil {
			return err
		}
		if err := c.Create(ctx, cluster); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Cluster %s: %w", cluster.Name, err)
		}
		return nil
	}
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := create(i); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if err := create(to); err != nil {
		return "", err
	}
	last, err := RealisticCluster(to)
	if err != nil {
		return "", err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: last.Name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating namespace %s: %w", ns.Name, err)
	}
	return last.Name, nil
}

// WaitForCluster waits until the seed component's OSC webhook reads the Cluster of namespace from its cache: a
// dry-run OSC of the Cluster's gVisor pool comes back with the runsc handler.
func WaitForCluster(ctx context.Context, c client.Client, namespace string, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		osc := samples.OSC("bench-probe", GVisorPool)
		osc.Namespace = namespace
		if last = c.Create(ctx, osc, client.DryRunAll); last != nil {
			return false, nil
		}
		return slices.ContainsFunc(osc.Spec.CRIConfig.Containerd.Plugins, func(p extensionsv1alpha1.PluginConfig) bool {
			return slices.Equal(p.Path, node.RuntimeHandlerPath("runsc"))
		}), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the seed component to read the Cluster %s (last answer: %v): %w", namespace, last, err)
	}
	return nil
}
