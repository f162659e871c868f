package kernel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/kernel/admin"
	"github.com/tributary-dev/tributary/kernel/cluster"
	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/herder"
	"github.com/tributary-dev/tributary/kernel/logging"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/scheduler"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/kernel/version"
	"github.com/tributary-dev/tributary/plugins/kc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// Version is the kernel's version: kernel/version's, set at build time (see the Makefile).
var Version, Commit = version.Get()

// Node is one running kernel node.
type Node struct {
	cfg Config
	log *slog.Logger

	Cluster *cluster.Node
	Plugins *pluginhost.Host
	Runtime *runtime.Runtime
	Admin   *admin.Service

	ready     chan struct{}
	addrs     Addrs
	closeOnce sync.Once
}

// Addrs are where a running node listens.
type Addrs struct {
	REST, Admin, Cluster, Raft string
}

// New checks the config; Run starts the node.
func New(cfg Config, log *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Node{cfg: cfg, log: log.With("node", cfg.NodeID), ready: make(chan struct{})}, nil
}

// Ready is closed once the node serves its admin and REST APIs and has registered itself.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Addrs returns the listening addresses; valid once Ready is closed.
func (n *Node) Addrs() Addrs { return n.addrs }

// listen binds a port on the bind address (0 picks a free one).
func (n *Node) listen(port int) (net.Listener, error) {
	return net.Listen("tcp", hostPort(n.cfg.BindAddr, port))
}

// Run starts every part of the node, serves until ctx ends, then stops them in order:
// the APIs, the tasks (committing their last offsets), the scheduler, the plugins and Raft.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	adv := n.cfg.advertiseHost()
	providers := config.DefaultProviders(n.cfg.ConfigProvidersAllowedPaths...)
	kafkaClients, err := n.cfg.kafkaClients(providers, n.log)
	if err != nil {
		return err
	}
	if len(n.cfg.Kafka.Properties) > 0 {
		go n.checkKafka(kafkaClients())
	}
	endpoints, err := n.cfg.endpoints()
	if err != nil {
		return err
	}
	clusterServerTLS, clusterClientTLS, err := n.cfg.clusterTLS()
	if err != nil {
		return err
	}
	adminCreds, err := n.cfg.adminClientCreds()
	if err != nil {
		return err
	}

	// Listeners first, so port 0 resolves before anyone advertises it.
	restLis, err := n.listen(n.cfg.RESTPort)
	if err != nil {
		return fmt.Errorf("rest listener: %w", err)
	}
	defer restLis.Close()
	if endpoints.restTLS != nil {
		restLis = tls.NewListener(restLis, endpoints.restTLS)
	}
	adminLis, err := n.listen(n.cfg.AdminPort)
	if err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	defer adminLis.Close()
	clusterPort, raftPort := n.cfg.ClusterPort, n.cfg.RaftPort
	if clusterPort == 0 {
		clusterPort = freePort(n.cfg.BindAddr)
	}
	if raftPort == 0 {
		raftPort = freePort(n.cfg.BindAddr)
	}
	port := func(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }
	n.addrs = Addrs{
		REST:    n.cfg.restAdvertised(adv, port(restLis)),
		Admin:   hostPort(adv, port(adminLis)),
		Cluster: hostPort(adv, clusterPort),
		Raft:    hostPort(adv, raftPort),
	}

	pluginsChanged := make(chan struct{}, 1) // a reload changed the classes (latest wins)
	pluginSecrets := &config.Secrets{}       // hidden in the plugins' own log lines
	n.Plugins, err = pluginhost.New(ctx, pluginhost.Config{
		Dir: n.cfg.PluginDir, Checksums: n.cfg.PluginChecksums, Logger: logging.Named(n.log, logging.Kernel+".pluginhost"),
		Secrets:        pluginSecrets,
		SocketDir:      filepath.Join(n.cfg.DataDir, "plugin-sockets"),
		RescanInterval: n.cfg.PluginRescanInterval,
		MemoryLimit:    int64(n.cfg.PluginMemoryLimitMB) << 20,
		OnChange: func() {
			select {
			case pluginsChanged <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	defer n.Plugins.Close()
	pluginNames := classNames(n.Plugins)
	if lv := logging.LevelsOf(n.log); lv != nil {
		for _, d := range n.Plugins.Connectors() {
			lv.Var(logging.PluginLogger(d.Binary)) // listed by /admin/loggers before it logs
		}
	}

	// Lease changes reach the runtime through a one-slot channel (latest wins), so the
	// heartbeat loop never waits while the runtime stops its tasks.
	leaseCh := make(chan bool, 1)
	sched := &scheduler.Loop{Logger: logging.Named(n.log, logging.Kernel+".scheduler")}
	bootstrap, join := n.cfg.Bootstrap, n.cfg.Join
	if n.cfg.BootstrapExpect > 0 {
		all := append(slices.Clone(join), n.addrs.Cluster)
		slices.Sort(all)
		bootstrap = all[0] == n.addrs.Cluster
	}
	n.Cluster, err = cluster.New(cluster.Config{
		NodeID:   n.cfg.NodeID,
		DataDir:  n.cfg.DataDir,
		RaftBind: hostPort(n.cfg.BindAddr, raftPort), RaftAdvertise: n.addrs.Raft,
		RPCBind: hostPort(n.cfg.BindAddr, clusterPort), RPCAdvertise: n.addrs.Cluster,
		Bootstrap: bootstrap, Join: join, Voters: n.cfg.Voters, RefuseJoins: n.cfg.Standalone,
		ServerTLS: clusterServerTLS, ClientTLS: clusterClientTLS, JoinKey: n.cfg.JoinKey,
		Self:              &clusterv1.Node{AdminAddr: n.addrs.Admin, RestAddr: n.addrs.REST, Plugins: pluginNames},
		HeartbeatInterval: n.cfg.HeartbeatInterval, Lease: n.cfg.Lease, DeadAfter: n.cfg.DeadAfter,
		SnapshotThreshold: n.cfg.SnapshotThreshold, SnapshotInterval: n.cfg.SnapshotInterval,
		OnLease: func(held bool) {
			select {
			case <-leaseCh:
			default:
			}
			leaseCh <- held
		},
		OnLiveChange: sched.Kick,
		Logger:       logging.Named(n.log, logging.Kernel+".cluster"),
	})
	if err != nil {
		return err
	}
	if err := n.Cluster.Start(ctx); err != nil {
		return err
	}
	defer n.Cluster.Shutdown()

	rt, err := runtime.New(runtime.Config{
		NodeID:              n.cfg.NodeID,
		Store:               n.Cluster,
		Plugins:             n.Plugins,
		PluginSecrets:       pluginSecrets,
		Brokers:             n.cfg.Kafka.BootstrapServers,
		Sarama:              kafkaClients,
		ClientConfig:        n.cfg.clientOverrides(providers),
		DefaultConverters:   n.cfg.Converters,
		Providers:           providers,
		OffsetFlushInterval: n.cfg.OffsetFlushInterval,
		LeaseUntil:          n.Cluster.LeaseUntil,
		ShutdownTimeout:     n.cfg.ShutdownTimeout,
		Logger:              logging.Named(n.log, logging.Kernel+".runtime"),
	})
	if err != nil {
		return err
	}
	hd, err := herder.New(herder.Config{NodeID: n.cfg.NodeID, Store: n.Cluster, Runtime: rt, LeaseUntil: n.Cluster.LeaseUntil, Logger: n.log})
	if err != nil {
		return err
	}
	// The herder starts fenced: nothing runs until the first heartbeat gives this node
	// its lease.
	n.Runtime = rt

	sched.Store, sched.Live, sched.IsLeader = n.Cluster, n.Cluster.Live, n.Cluster.IsLeader
	n.Admin = admin.New(admin.Config{
		NodeID:         n.cfg.NodeID,
		Store:          n.Cluster,
		Plugins:        n.Plugins,
		Version:        Version,
		Commit:         Commit,
		KafkaClusterID: admin.KafkaClusterID(n.cfg.Kafka.BootstrapServers, kafkaClients, 5*time.Second),
		Members:        n.members,
		Kafka: func() (sarama.Client, error) {
			return sarama.NewClient(n.cfg.Kafka.BootstrapServers, kafkaClients())
		},
		Worker: admin.Worker{BootstrapServers: n.cfg.Kafka.BootstrapServers, Converters: n.cfg.Converters,
			RESTAddr: n.addrs.REST},
		Operator:         operator{n},
		OverridePolicy:   n.cfg.ConnectorClientConfigOverridePolicy,
		AdminDialOptions: []grpc.DialOption{grpc.WithTransportCredentials(adminCreds)},
		Health: func() admin.Health {
			v := n.Cluster.View()
			return admin.Health{Leader: v.Leader, Known: v.Known, Live: v.Live, CaughtUp: n.Cluster.CaughtUp()}
		},
		Loggers: logging.LevelsOf(n.log),
		Logger:  logging.Named(n.log, logging.Kernel+".admin"),
	})
	// Requests carry at most a connector config (config.MaxConfigBytes, refused by name past
	// it); answers (status of many connectors, offsets) may be larger.
	gs := grpc.NewServer(append(endpoints.adminOpts, grpc.MaxRecvMsgSize(4*config.MaxConfigBytes), grpc.MaxSendMsgSize(cluster.MaxMessageBytes))...)
	n.Admin.Register(gs)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(n.metricsRegistry(), promhttp.HandlerOpts{}))
	mux.Handle("/", n.Admin.RESTHandler())
	hs := &http.Server{Handler: endpoints.rest(mux), ReadHeaderTimeout: 10 * time.Second}

	var wg sync.WaitGroup
	errc := make(chan error, 8)
	goRun := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	rtCtx, rtCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer rtCancel()
	goRun("runtime", func() error { return rt.Run(rtCtx) })
	goRun("herder", func() error { return hd.Run(rtCtx) })
	goRun("lease", func() error {
		for {
			select {
			case <-rtCtx.Done():
				return nil
			case held := <-leaseCh:
				hd.SetFenced(!held)
			}
		}
	})
	schedCtx, schedCancel := context.WithCancel(ctx)
	defer schedCancel()
	goRun("scheduler", func() error { return sched.Run(schedCtx) })
	goRun("plugin registration", func() error {
		// The scheduler places a task only on nodes whose record lists its class: after
		// a reload, register this node again with what it has now.
		for attempt := 0; ; {
			select {
			case <-rtCtx.Done():
				return nil
			case <-pluginsChanged:
			}
			for rtCtx.Err() == nil {
				cctx, cancel := context.WithTimeout(rtCtx, 10*time.Second)
				err := n.Cluster.SetPlugins(cctx, classNames(n.Plugins))
				cancel()
				if err == nil {
					attempt = 0
					break
				}
				n.log.Warn("registering the node's new plugin classes failed; retrying", "err", err)
				select {
				case <-rtCtx.Done():
				case <-time.After(registerRetry.Next(attempt)):
				}
				attempt++
			}
		}
	})
	goRun("admin grpc", func() error { return gs.Serve(adminLis) })
	goRun("rest", func() error { return hs.Serve(restLis) })

	waitCtx, waitCancel := context.WithTimeout(ctx, 60*time.Second)
	err = n.Cluster.WaitLeader(waitCtx)
	waitCancel()
	if err == nil {
		n.log.Info("node ready", "rest", n.addrs.REST, "admin", n.addrs.Admin, "cluster", n.addrs.Cluster, "raft", n.addrs.Raft,
			"plugins", len(n.Plugins.Connectors()))
		close(n.ready)
	} else if ctx.Err() == nil {
		n.log.Warn("no leader yet; serving anyway", "err", err)
		close(n.ready)
	}

	err = nil
	select {
	case <-ctx.Done():
	case err = <-errc:
		n.log.Error("node part failed; shutting down", "err", err)
	}
	// Shutdown in order: stop taking requests, stop tasks while Raft can still take their
	// final offsets (the runtime bounds that by shutdown_timeout), then leave (if asked) and
	// let the deferred closes stop plugins and Raft.
	start := time.Now()
	reqCtx, reqCancel := context.WithTimeout(context.Background(), time.Second)
	if hs.Shutdown(reqCtx) != nil {
		hs.Close() // requests still running after a second are cut
	}
	reqCancel()
	gs.Stop()
	rtCancel()
	schedCancel()
	wg.Wait()
	if n.cfg.LeaveOnShutdown {
		leaveCtx, leaveCancel := context.WithTimeout(context.Background(), max(time.Second, n.cfg.ShutdownTimeout-time.Since(start)))
		if lerr := n.Cluster.Leave(leaveCtx); lerr != nil {
			n.log.Warn("leave failed", "err", lerr)
		}
		leaveCancel()
	}
	n.log.Info("node stopped its tasks", "took", time.Since(start).Round(time.Millisecond))
	return err
}

// checkKafka tells the operator at start when the secured Kafka settings do not work,
// naming the step (TLS, SASL authentication) that sarama reports only as "out of brokers".
func (n *Node) checkKafka(c *sarama.Config) {
	if err := security.DiagnoseKafka(n.cfg.Kafka.BootstrapServers, c); err != nil {
		n.log.Error("kafka: the node cannot use the brokers with kafka.properties; tasks will fail", "err", err)
	}
}

// registerRetry paces the re-registration of a node whose plugin classes changed.
var registerRetry = kc.Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2}

// classNames lists every connector class name and alias the plugin host serves.
func classNames(h *pluginhost.Host) []string {
	var names []string
	for _, d := range h.Connectors() {
		names = append(names, d.Name)
		names = append(names, d.Aliases...)
	}
	return names
}

func freePort(host string) int {
	l, err := net.Listen("tcp", hostPort(host, 0))
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
