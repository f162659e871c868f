package config

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// StrimziConnectKind is the kind of Strimzi's worker resource.
const StrimziConnectKind = "KafkaConnect"

// KafkaConnect is what Tributary reads of a Strimzi KafkaConnect resource: the worker
// settings it can check against a running cluster and the plugins it must have. A
// Tributary cluster's workers are its nodes, configured by their agent files; applying a
// KafkaConnect changes no node, it checks the resource against them (see README).
type KafkaConnect struct {
	Name string
	Line int
	// Replicas is spec.replicas, -1 when absent.
	Replicas         int
	BootstrapServers string
	Version          string
	// Config is spec.config, values as written.
	Config map[string]string
	// Plugins are spec.build.plugins, each matched to a bundled plugin binary.
	Plugins []ConnectPlugin
	// Resources is spec.resources as written (YAML), "" when absent.
	Resources string
	// Ignored are the spec fields Tributary has no use for (tls, authentication, image,
	// template, logging, metricsConfig, jvmOptions, …), sorted.
	Ignored []string
	// UseConnectorResources is the strimzi.io/use-connector-resources annotation.
	UseConnectorResources string
}

// ConnectPlugin is one entry of spec.build.plugins.
type ConnectPlugin struct {
	Name      string
	Artifacts []Artifact
}

// Artifact is one build artifact and the bundled plugin binary it stands for.
type Artifact struct {
	Type, Group, Artifact, Version, URL string
	// Binary is the bundled plugin binary (e.g. tributary-file) the artifact is.
	Binary string
}

// bundled maps Maven coordinates (group:artifact) of the connectors users build into
// their Kafka Connect images to the Tributary plugin binary that serves their classes.
var bundled = map[string]string{
	"org.apache.kafka:connect-file":                               "tributary-file",
	"io.debezium:debezium-connector-postgres":                     "tributary-postgres",
	"io.confluent:kafka-connect-jdbc":                             "tributary-jdbc",
	"io.confluent:kafka-connect-elasticsearch":                    "tributary-elasticsearch",
	"io.confluent:kafka-connect-s3":                               "tributary-s3",
	"io.confluent:kafka-connect-http":                             "tributary-http",
	"com.github.castorm:kafka-connect-http":                       "tributary-http",
	"com.redis:redis-kafka-connect":                               "tributary-redis",
	"com.github.jcustenborder.kafka.connect:kafka-connect-redis":  "tributary-redis",
	"io.confluent.kafka.connect:kafka-connect-datagen":            "tributary-datagen",
	"io.confluent:kafka-connect-datagen":                          "tributary-datagen",
	"org.apache.kafka:connect-transforms":                         "",
	"org.apache.kafka:connect-json":                               "",
	"org.apache.kafka:connect-runtime":                            "",
	"io.debezium:debezium-core":                                   "",
	"com.github.jcustenborder.kafka.connect:kafka-connect-common": "",
	"io.confluent:kafka-connect-storage-common":                   "",
	"io.confluent:common-utils":                                   "",
	"io.debezium:debezium-api":                                    "",
	"org.apache.kafka:connect-api":                                "",
	"io.confluent:kafka-connect-avro-converter":                   "",
	"io.confluent:kafka-connect-protobuf-converter":               "",
	"io.confluent:kafka-connect-json-schema-converter":            "",
	"io.apicurio:apicurio-registry-distro-connect-converter":      "",
}

// builtIn is what an artifact mapped to "" is: part of the kernel, or a library a
// connector needs, with nothing to install.
const builtIn = "(built in)"

// BundledArtifacts lists the Maven coordinates matched to a plugin binary, sorted.
func BundledArtifacts() []string {
	var out []string
	for ga, b := range bundled {
		if b != "" {
			out = append(out, ga+" → "+b)
		}
	}
	sort.Strings(out)
	return out
}

// matchArtifact finds the bundled binary of an artifact: by group and artifact, or for
// an artifact given by URL, by the Maven repository path in it
// (…/io/debezium/debezium-connector-postgres/2.5.0.Final/…).
func matchArtifact(a Artifact) (string, bool) {
	if a.Group != "" || a.Artifact != "" {
		b, ok := bundled[a.Group+":"+a.Artifact]
		if ok && b == "" {
			b = builtIn
		}
		return b, ok
	}
	for ga, b := range bundled {
		g, art, _ := strings.Cut(ga, ":")
		if strings.Contains(a.URL, "/"+strings.ReplaceAll(g, ".", "/")+"/"+art+"/") {
			if b == "" {
				b = builtIn
			}
			return b, true
		}
	}
	return "", false
}

// kafkaConnectFields are the spec fields Tributary reads; every other one is recorded
// as ignored.
var kafkaConnectFields = []string{"replicas", "bootstrapServers", "config", "build", "resources", "version"}

// parseKafkaConnect reads a Strimzi KafkaConnect resource.
func (p *parser) parseKafkaConnect(obj *object) (KafkaConnect, error) {
	kc := KafkaConnect{Line: obj.node.Line, Replicas: -1, Config: map[string]string{}}
	mdNode := obj.get("metadata")
	if mdNode == nil {
		return kc, errAt(obj.node, "metadata.name is required")
	}
	md, err := p.mapping(mdNode, "metadata")
	if err != nil {
		return kc, err
	}
	if n := md.get("name"); n == nil {
		return kc, errAt(md.node, "metadata.name is required")
	} else if kc.Name, err = str(n, "metadata.name"); err != nil {
		return kc, err
	}
	if a := md.get("annotations"); a != nil && !isNull(a) {
		ann, err := p.stringMap(a, "metadata.annotations", false)
		if err != nil {
			return kc, err
		}
		kc.UseConnectorResources = ann["strimzi.io/use-connector-resources"]
	}
	specNode := obj.get("spec")
	if specNode == nil || isNull(specNode) {
		return kc, errAt(obj.node, "spec is required: a KafkaConnect needs at least spec.bootstrapServers")
	}
	spec, err := p.mapping(specNode, "spec")
	if err != nil {
		return kc, err
	}
	for _, k := range spec.keys {
		if !contains(kafkaConnectFields, k) {
			kc.Ignored = append(kc.Ignored, k)
		}
	}
	sort.Strings(kc.Ignored)
	if r := spec.get("replicas"); r != nil && !isNull(r) {
		if rr := resolve(r); rr.Kind == yaml.ScalarNode && strings.TrimSpace(rr.Value) == "0" {
			kc.Replicas = 0 // Strimzi's scale to zero
		} else if kc.Replicas, err = integer(r, "spec.replicas"); err != nil {
			return kc, err
		}
	}
	if b := spec.get("bootstrapServers"); b != nil {
		if kc.BootstrapServers, err = str(b, "spec.bootstrapServers"); err != nil {
			return kc, err
		}
	}
	if v := spec.get("version"); v != nil && !isNull(v) {
		if kc.Version, err = str(v, "spec.version"); err != nil {
			return kc, err
		}
	}
	if c := spec.get("config"); c != nil && !isNull(c) {
		if kc.Config, err = p.stringMap(c, "spec.config", true); err != nil {
			return kc, err
		}
	}
	if r := spec.get("resources"); r != nil && !isNull(r) {
		b, err := yaml.Marshal(resolve(r))
		if err != nil {
			return kc, errAt(r, "spec.resources: %v", err)
		}
		kc.Resources = strings.TrimSpace(string(b))
	}
	if b := spec.get("build"); b != nil && !isNull(b) {
		if kc.Plugins, err = p.buildPlugins(b); err != nil {
			return kc, err
		}
		build, _ := p.mapping(b, "spec.build")
		for _, k := range build.keys {
			if k != "plugins" {
				kc.Ignored = append(kc.Ignored, "build."+k)
			}
		}
		sort.Strings(kc.Ignored)
	}
	return kc, nil
}

// buildPlugins reads spec.build.plugins, matching each artifact to a bundled plugin; an
// artifact Tributary does not ship is an error naming it and listing what is bundled.
func (p *parser) buildPlugins(n *yaml.Node) ([]ConnectPlugin, error) {
	build, err := p.mapping(n, "spec.build")
	if err != nil {
		return nil, err
	}
	pl := build.get("plugins")
	if pl == nil || isNull(pl) {
		return nil, nil
	}
	pl = resolve(pl)
	if pl.Kind != yaml.SequenceNode {
		return nil, errAt(pl, "spec.build.plugins: expected a list, got %s", kindName(pl))
	}
	var out []ConnectPlugin
	for i, item := range pl.Content {
		path := fmt.Sprintf("spec.build.plugins[%d]", i)
		obj, err := p.mapping(item, path)
		if err != nil {
			return nil, err
		}
		var cp ConnectPlugin
		if nn := obj.get("name"); nn != nil {
			if cp.Name, err = str(nn, path+".name"); err != nil {
				return nil, err
			}
		}
		arts := obj.get("artifacts")
		if arts == nil || isNull(arts) || resolve(arts).Kind != yaml.SequenceNode {
			return nil, errAt(obj.node, "%s.artifacts: expected a list of artifacts", path)
		}
		for j, an := range resolve(arts).Content {
			apath := fmt.Sprintf("%s.artifacts[%d]", path, j)
			m, err := p.stringMap(an, apath, false)
			if err != nil {
				return nil, err
			}
			a := Artifact{Type: m["type"], Group: m["group"], Artifact: m["artifact"], Version: m["version"], URL: m["url"]}
			b, ok := matchArtifact(a)
			if !ok {
				what := a.URL
				if a.Group != "" || a.Artifact != "" {
					what = a.Group + ":" + a.Artifact
				}
				return nil, errAt(resolve(an), "%s (%s): %s is not a connector Tributary ships, so there is nothing to run it with; "+
					"the bundled ones are %s (or write a plugin: see README, \"Writing a connector\")",
					apath, cp.Name, what, strings.Join(BundledArtifacts(), ", "))
			}
			a.Binary = b
			cp.Artifacts = append(cp.Artifacts, a)
		}
		out = append(out, cp)
	}
	return out, nil
}

// IsBuiltIn reports whether an artifact's Binary says it needs no plugin of its own.
func (a Artifact) IsBuiltIn() bool { return a.Binary == builtIn }

// ParseResources is ParseManifests that also returns the Strimzi KafkaConnect resources
// in data, for apply to check against the cluster.
func ParseResources(data []byte) ([]Spec, []KafkaConnect, error) {
	var workers []KafkaConnect
	specs, err := parseManifests(data, &workers)
	if err != nil {
		return nil, nil, err
	}
	return specs, workers, nil
}

// canonical is the Maven coordinate a bundled plugin binary is shown back as.
var canonical = map[string]string{
	"tributary-file":          "org.apache.kafka:connect-file",
	"tributary-postgres":      "io.debezium:debezium-connector-postgres",
	"tributary-jdbc":          "io.confluent:kafka-connect-jdbc",
	"tributary-elasticsearch": "io.confluent:kafka-connect-elasticsearch",
	"tributary-s3":            "io.confluent:kafka-connect-s3",
	"tributary-http":          "io.confluent:kafka-connect-http",
	"tributary-redis":         "com.redis:redis-kafka-connect",
	"tributary-datagen":       "io.confluent.kafka.connect:kafka-connect-datagen",
}

// ArtifactOf returns the Maven group and artifact a bundled plugin binary stands for in
// a KafkaConnect's build.plugins; false for a binary that stands for none (a plugin
// written for Tributary).
func ArtifactOf(binary string) (group, artifact string, ok bool) {
	ga, ok := canonical[binary]
	if !ok {
		return "", "", false
	}
	group, artifact, _ = strings.Cut(ga, ":")
	return group, artifact, true
}
