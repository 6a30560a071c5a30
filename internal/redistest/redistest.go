// Package redistest starts throwaway redis-server processes for tests.
//
// Each server listens on a free loopback port, keeps its files in the test's
// temporary directory and is stopped when the test ends. When redis-server is
// not on PATH the calling test is skipped with a clear message, unless the
// environment variable CREDENCE_REQUIRE_REDIS=1 is set, in which case the test
// fails: CI sets it so that no Redis-backed test can skip quietly.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireEnv is the environment variable that turns a missing redis-server
// into a test failure instead of a skip.
const RequireEnv = "CREDENCE_REQUIRE_REDIS"

// Server is one running redis-server on a loopback port.
type Server struct {
	Addr string // host:port on 127.0.0.1

	t    testing.TB
	bin  string
	dir  string
	port int
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// binary finds redis-server or skips/fails the test.
func binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("redistest: redis-server not found on PATH and %s=1: %v", RequireEnv, err)
		}
		t.Skipf("redistest: redis-server not found on PATH; install it (e.g. apt-get install redis-server) or set %s=1 to make this a failure", RequireEnv)
	}
	return bin
}

// freePort asks the kernel for a free loopback TCP port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts a redis-server on a free loopback port and stops it when the
// test ends. extra are additional redis.conf directives as "name value" pairs
// passed on the command line (e.g. "appendonly", "yes").
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	s := &Server{t: t, bin: bin, dir: dir, args: extra}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		s.port = freePort(t)
		if s.port > 55000 { // the cluster bus listens on port+10000
			continue
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: start redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "yes",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	for _, a := range s.args {
		f := strings.Fields(a)
		if len(f) > 0 {
			f[0] = "--" + f[0]
		}
		args = append(args, f...)
	}
	cmd := exec.Command(s.bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v\n%s", err, log)
		default:
		}
		if ping(s.Addr) == nil {
			s.mu.Lock()
			s.cmd = cmd
			s.mu.Unlock()
			go func() { <-exited }() // keep reaping
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("redis-server did not answer PING within 10s")
}

// ping speaks RESP over a plain connection so that waiting for a server does
// not fill the test log with the client's dial errors.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return fmt.Errorf("unexpected PING reply %q", buf[:n])
	}
	return nil
}

// Client returns a new go-redis client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server. It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	// Wait until the port stops answering so a Restart can bind it again.
	for i := 0; i < 250 && ping(s.Addr) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// Restart stops the server and starts a fresh, empty one on the same port
// (persistence is off, so all data is gone, as after a crash without AOF).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for i := 0; i < 50; i++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart redis-server: %v", err)
}

// Cluster is a small Redis Cluster (three masters, no replicas) on loopback.
type Cluster struct {
	Addrs []string
	t     testing.TB
	nodes []*Server
}

// StartCluster starts a three-master Redis Cluster on loopback ports, with
// every hash slot assigned, and stops it when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	for i := 0; i < 3; i++ {
		n := Start(t, "cluster-enabled yes", "cluster-node-timeout 5000",
			"cluster-config-file nodes.conf", "cluster-require-full-coverage yes")
		c.nodes = append(c.nodes, n)
		c.Addrs = append(c.Addrs, n.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const slots = 16384
	per := slots / len(c.nodes)
	for i, n := range c.nodes {
		cl := redis.NewClient(&redis.Options{Addr: n.Addr})
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.nodes)-1 {
			hi = slots - 1
		}
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("redistest: cluster addslots: %v", err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(c.nodes[0].Addr)
			if err := cl.ClusterMeet(ctx, host, port).Err(); err != nil {
				t.Fatalf("redistest: cluster meet: %v", err)
			}
		}
		_ = cl.Close()
	}
	for _, n := range c.nodes {
		cl := redis.NewClient(&redis.Options{Addr: n.Addr})
		for {
			info, err := cl.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("redistest: cluster did not become ready: %v %q", err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = cl.Close()
	}
	return c
}

// Client returns a new cluster client, closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	c.t.Cleanup(func() { _ = cl.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Wait until the client has loaded a slot map that covers every node.
	for ctx.Err() == nil {
		if err := cl.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() }); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cl
}
