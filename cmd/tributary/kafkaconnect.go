package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tributary-dev/tributary/kernel/config"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// storageKeys are the worker keys of Kafka Connect's internal topics: Tributary holds
// connector configs, offsets and statuses in its Raft state instead.
var storageKeys = []string{"offset.storage.", "config.storage.", "status.storage."}

// converterKey reports whether k is a worker converter key (key.converter,
// value.converter, header.converter, or one of their settings).
func converterKey(k string) bool {
	for _, p := range []string{"key.converter", "value.converter", "header.converter"} {
		if k == p || strings.HasPrefix(k, p+".") {
			return true
		}
	}
	return false
}

// checkKafkaConnect compares a Strimzi KafkaConnect resource with the running workers
// and prints, key by key, what Tributary takes from it and what it does not. Nothing
// on the nodes changes: their settings are their agent configs'. It fails only when a
// plugin the resource builds in is missing from the node.
func checkKafkaConnect(ctx context.Context, w io.Writer, c adminv1.AdminClient, kc config.KafkaConnect) error {
	wi, err := c.GetWorker(ctx, &adminv1.GetWorkerRequest{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "kafkaconnect %s: checked against the cluster (node %s); the nodes keep their agent settings\n", kc.Name, wi.NodeId)
	t := newTable(w, "  FIELD", "MANIFEST", "TRIBUTARY")
	nodes := strings.Join(wi.BootstrapServers, ",")
	switch {
	case kc.BootstrapServers == "":
	case sameServers(kc.BootstrapServers, wi.BootstrapServers):
		t.row("  spec.bootstrapServers", kc.BootstrapServers, "same as the nodes' kafka.bootstrap_servers")
	default:
		t.row("  spec.bootstrapServers", kc.BootstrapServers, "differs: the nodes use "+nodes+" (kafka.bootstrap_servers in the agent config)")
	}
	if kc.Replicas == 0 {
		t.row("  spec.replicas", "0", fmt.Sprintf("not applied: nodes are not scaled by a manifest; %d live (tributary members)", wi.NodesAlive))
	} else if kc.Replicas > 0 {
		verdict := fmt.Sprintf("%d nodes, %d live", wi.Nodes, wi.NodesAlive)
		if int(wi.NodesAlive) < kc.Replicas {
			verdict += fmt.Sprintf(": %d fewer than asked; start more with tributary agent -join", kc.Replicas-int(wi.NodesAlive))
		}
		t.row("  spec.replicas", strconv.Itoa(kc.Replicas), verdict)
	}
	if kc.Version != "" {
		t.row("  spec.version", kc.Version, "ignored: Tributary "+wi.Version+" speaks Kafka Connect 3.x/4.x's REST API")
	}
	keys := make([]string, 0, len(kc.Config))
	for k := range kc.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := kc.Config[k]
		field := "  spec.config." + k
		switch {
		case k == "group.id":
			t.row(field, v, "the cluster's name: a Tributary cluster is the Raft group its nodes joined, no consumer group")
		case hasAnyPrefix(k, storageKeys):
			t.row(field, v, "accepted, not used: configs, offsets and statuses are held by Raft, no internal topics")
		case converterKey(k):
			if have, ok := wi.Converters[k]; ok && have == v {
				t.row(field, v, "same as the workers' default")
			} else if ok {
				t.row(field, v, "differs: the workers' default is "+have+" (converters in the agent config; or set it per connector)")
			} else {
				t.row(field, v, "not a worker default here (converters in the agent config; or set it per connector)")
			}
		default:
			t.row(field, v, "ignored: no worker setting of that name")
		}
	}
	if kc.Resources != "" {
		t.row("  spec.resources", strings.ReplaceAll(kc.Resources, "\n", " "), "noted: each plugin is its own process, capped by plugin_memory_limit_mb")
	}
	for _, f := range kc.Ignored {
		t.row("  spec."+f, "…", "ignored (Kubernetes/JVM setting with no Tributary counterpart)")
	}
	have := map[string]bool{}
	for _, p := range wi.Plugins {
		have[p.Binary] = true
	}
	var missing []string
	for _, p := range kc.Plugins {
		for _, a := range p.Artifacts {
			what := a.Group + ":" + a.Artifact
			if a.Group == "" && a.Artifact == "" {
				what = a.URL
			}
			if a.Version != "" {
				what += ":" + a.Version
			}
			field := "  spec.build.plugins." + p.Name
			switch {
			case a.IsBuiltIn():
				t.row(field, what, "built in: nothing to install")
			case have[a.Binary]:
				t.row(field, what, a.Binary+" (bundled, present on node "+wi.NodeId+")")
			default:
				t.row(field, what, "MISSING: "+a.Binary+" is not in node "+wi.NodeId+"'s plugin dir")
				missing = append(missing, a.Binary)
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("kafkaconnect %s: node %s lacks %s; copy them into its plugin dir (make build puts them in bin/plugins)",
			kc.Name, wi.NodeId, strings.Join(missing, ", "))
	}
	return nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func sameServers(spec string, nodes []string) bool {
	a := strings.Split(spec, ",")
	for i := range a {
		a[i] = strings.TrimSpace(a[i])
	}
	b := slices.Clone(nodes)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// kafkaConnectDoc is the workers as a Strimzi KafkaConnect resource, with status.
type kafkaConnectDoc struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Kind       string `json:"kind" yaml:"kind"`
	Metadata   struct {
		Name        string            `json:"name" yaml:"name"`
		Annotations map[string]string `json:"annotations" yaml:"annotations"`
	} `json:"metadata" yaml:"metadata"`
	Spec struct {
		Replicas         int               `json:"replicas" yaml:"replicas"`
		BootstrapServers string            `json:"bootstrapServers" yaml:"bootstrapServers"`
		Config           map[string]string `json:"config" yaml:"config"`
		Build            struct {
			Plugins []kcBuildPlugin `json:"plugins" yaml:"plugins"`
		} `json:"build" yaml:"build"`
	} `json:"spec" yaml:"spec"`
	Status struct {
		Conditions       []kcCondition    `json:"conditions" yaml:"conditions"`
		Replicas         int32            `json:"replicas" yaml:"replicas"`
		URL              string           `json:"url,omitempty" yaml:"url,omitempty"`
		KafkaClusterID   string           `json:"kafkaClusterId,omitempty" yaml:"kafkaClusterId,omitempty"`
		ConnectorPlugins []kcPluginStatus `json:"connectorPlugins" yaml:"connectorPlugins"`
	} `json:"status" yaml:"status"`
}

type kcBuildPlugin struct {
	Name      string       `json:"name" yaml:"name"`
	Artifacts []kcArtifact `json:"artifacts" yaml:"artifacts"`
}

type kcArtifact struct {
	Type     string `json:"type" yaml:"type"`
	Group    string `json:"group" yaml:"group"`
	Artifact string `json:"artifact" yaml:"artifact"`
}

type kcPluginStatus struct {
	Class   string `json:"class" yaml:"class"`
	Type    string `json:"type" yaml:"type"`
	Version string `json:"version" yaml:"version"`
}

// toKafkaConnectDoc describes the workers as a KafkaConnect resource that apply -f
// checks as matching them.
func toKafkaConnectDoc(wi *adminv1.WorkerInfo) kafkaConnectDoc {
	var d kafkaConnectDoc
	d.APIVersion, d.Kind = "kafka.strimzi.io/v1beta2", "KafkaConnect"
	d.Metadata.Name = "tributary"
	d.Metadata.Annotations = map[string]string{"strimzi.io/use-connector-resources": "true"}
	d.Spec.Replicas = int(wi.Nodes)
	d.Spec.BootstrapServers = strings.Join(wi.BootstrapServers, ",")
	d.Spec.Config = map[string]string{}
	for k, v := range wi.Converters {
		d.Spec.Config[k] = v
	}
	seen := map[string]bool{}
	d.Status.ConnectorPlugins = []kcPluginStatus{}
	for _, p := range wi.Plugins {
		class := p.Class
		for _, a := range p.Aliases {
			if strings.Contains(a, ".") {
				class = a
				break
			}
		}
		d.Status.ConnectorPlugins = append(d.Status.ConnectorPlugins, kcPluginStatus{Class: class, Type: p.Type, Version: p.Version})
		g, a, ok := config.ArtifactOf(p.Binary)
		if !ok || seen[p.Binary] {
			continue
		}
		seen[p.Binary] = true
		d.Spec.Build.Plugins = append(d.Spec.Build.Plugins, kcBuildPlugin{Name: strings.TrimPrefix(p.Binary, "tributary-"),
			Artifacts: []kcArtifact{{Type: "maven", Group: g, Artifact: a}}})
	}
	cond := kcCondition{Type: "Ready", Status: "True"}
	if wi.NodesAlive < wi.Nodes {
		cond = kcCondition{Type: "NotReady", Status: "True", Reason: "NodesDown",
			Message: fmt.Sprintf("%d of %d nodes live", wi.NodesAlive, wi.Nodes)}
	}
	d.Status.Conditions = []kcCondition{cond}
	d.Status.Replicas = wi.NodesAlive
	d.Status.URL = wi.RestUrl
	d.Status.KafkaClusterID = wi.KafkaClusterId
	return d
}

// getKafkaConnect prints the workers as a Strimzi KafkaConnect resource.
func getKafkaConnect(cmd *cobra.Command) error {
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		wi, err := c.GetWorker(ctx, &adminv1.GetWorkerRequest{})
		if err != nil {
			return err
		}
		doc := toKafkaConnectDoc(wi)
		if strings.ToLower(flags.output) == "json" {
			return printJSON(cmd.OutOrStdout(), doc)
		}
		enc := yaml.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent(2)
		defer enc.Close()
		return enc.Encode(doc)
	})
}
