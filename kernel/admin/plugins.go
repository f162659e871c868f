package admin

import (
	"context"
	"sort"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/herder"
	"github.com/tributary-dev/tributary/kernel/transform"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ListPlugins implements adminv1.AdminServer: one entry per connector this node can run,
// its class being the connector's name, with its aliases (e.g. Kafka Connect class names),
// sorted by class. Tributary's built-in converters and transforms are not plugins and are
// not listed.
func (s *Service) ListPlugins(_ context.Context, req *adminv1.ListPluginsRequest) (*adminv1.ListPluginsResponse, error) {
	resp := &adminv1.ListPluginsResponse{Plugins: []*adminv1.PluginInfo{}}
	for _, d := range s.cfg.Plugins.Connectors() {
		resp.Plugins = append(resp.Plugins, &adminv1.PluginInfo{
			Class:   d.GetName(),
			Type:    typeName(herder.ClusterType(d.GetType())),
			Version: d.GetVersion(),
			Aliases: append([]string(nil), d.GetAliases()...),
			Binary:  d.Binary,
			Sha256:  d.Checksum,
		})
	}
	if !req.GetConnectorsOnly() {
		resp.Plugins = append(resp.Plugins, s.builtins()...)
	}
	sort.Slice(resp.Plugins, func(i, j int) bool { return resp.Plugins[i].Class < resp.Plugins[j].Class })
	return resp, nil
}

// builtins lists the kernel's own plugins by their fully qualified class names, typed as
// upstream types them: converters, header converters, transformations and predicates.
func (s *Service) builtins() []*adminv1.PluginInfo {
	var out []*adminv1.PluginInfo
	add := func(typ string, classes []string) {
		for _, c := range classes {
			if strings.Contains(c, ".") { // short aliases are not listed separately
				out = append(out, &adminv1.PluginInfo{Class: c, Type: typ, Version: s.cfg.Version})
			}
		}
	}
	add("converter", convert.Classes())
	add("header_converter", convert.HeaderClasses())
	add("transformation", transform.TransformationClasses())
	add("predicate", transform.PredicateClasses())
	return out
}

// GetPluginConfig implements adminv1.AdminServer: the plugin's own config definitions (not
// the common keys), as GET /connector-plugins/{class}/config lists them; for a
// transformation or predicate class, its settings.
func (s *Service) GetPluginConfig(_ context.Context, req *adminv1.PluginRequest) (*adminv1.PluginConfigResponse, error) {
	var keys []*pluginv1.ConfigKey
	d, err := s.cfg.Plugins.Resolve(req.GetClass())
	if err == nil {
		keys = d.GetConfig()
	} else if tk, ok := transform.ConfigKeys(req.GetClass()); ok {
		// A transformation or predicate (KIP-769: every plugin type answers).
		keys = tk
	} else {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	resp := &adminv1.PluginConfigResponse{Keys: []*adminv1.ConfigKeyInfo{}}
	order := map[string]int32{}
	for _, k := range keys {
		order[k.GetGroup()]++
		resp.Keys = append(resp.Keys, keyInfo(k, order[k.GetGroup()]))
	}
	return resp, nil
}

// keyInfo converts a plugin's config definition to the API's; order is its 1-based place
// in its group.
func keyInfo(k *pluginv1.ConfigKey, order int32) *adminv1.ConfigKeyInfo {
	typ := strings.TrimPrefix(k.GetType().String(), "TYPE_")
	if k.GetType() == pluginv1.ConfigKey_TYPE_UNSPECIFIED {
		typ = "STRING"
	}
	imp := strings.TrimPrefix(k.GetImportance().String(), "IMPORTANCE_")
	if k.GetImportance() == pluginv1.ConfigKey_IMPORTANCE_UNSPECIFIED {
		imp = "MEDIUM"
	}
	display := k.GetDisplayName()
	if display == "" {
		display = k.GetName()
	}
	return &adminv1.ConfigKeyInfo{
		Name: k.GetName(), Type: typ, Required: k.GetRequired() && !k.GetHasDefault(),
		DefaultValue: k.GetDefaultValue(), HasDefault: k.GetHasDefault(), Importance: imp,
		Documentation: k.GetDocumentation(), Group: k.GetGroup(), Order: order, Width: "NONE",
		DisplayName: display, Dependents: []string{},
	}
}

// ValidateConfig implements adminv1.AdminServer: Kafka Connect's ConfigInfos for a config,
// with every common and plugin key, its value (secrets masked), and the errors kernel/config
// and the plugin's Validate found. The class is config's connector.class, or req.class
// when config has none.
func (s *Service) ValidateConfig(ctx context.Context, req *adminv1.ValidateConfigRequest) (*adminv1.ConfigInfos, error) {
	cfg := make(map[string]string, len(req.GetConfig())+1)
	for k, v := range req.GetConfig() {
		cfg[k] = v
	}
	class := strings.TrimSpace(cfg[config.KeyClass])
	if class == "" {
		class = strings.TrimSpace(req.GetClass())
		cfg[config.KeyClass] = class
	}
	if class == "" {
		return nil, status.Errorf(codes.InvalidArgument, "Missing required configuration %q which has no default value.", config.KeyClass)
	}
	d, err := s.cfg.Plugins.Resolve(class)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	desc := d.ConnectorDescriptor
	errs, err := s.validate(ctx, desc, cfg)
	if err != nil {
		return nil, err
	}
	byKey := map[string][]string{}
	var order []string // keys with errors, first seen first
	for _, e := range errs {
		if _, ok := byKey[e.Key]; !ok {
			order = append(order, e.Key)
		}
		byKey[e.Key] = append(byKey[e.Key], e.Message)
	}

	eff := config.Effective(desc, cfg)
	out := &adminv1.ConfigInfos{Name: fullClass(desc), Groups: []string{}}
	groupSeen := map[string]int32{}
	defined := map[string]bool{}
	add := func(k *pluginv1.ConfigKey) {
		g := k.GetGroup()
		if _, ok := groupSeen[g]; !ok && g != "" {
			out.Groups = append(out.Groups, g)
		}
		groupSeen[g]++
		v := &adminv1.ConfigValueInfo{Name: k.GetName(), RecommendedValues: []string{},
			Errors: append([]string{}, byKey[k.GetName()]...), Visible: true}
		if val, ok := eff[k.GetName()]; ok {
			v.Value, v.HasValue = val, true
			if val != "" && config.IsSecret(desc, k.GetName()) {
				v.Value = config.Hidden
			}
		}
		out.ErrorCount += int32(len(v.Errors))
		out.Configs = append(out.Configs, &adminv1.ConfigInfo{Definition: keyInfo(k, groupSeen[g]), Value: v})
		defined[k.GetName()] = true
	}
	for _, k := range config.Definitions(desc) {
		add(k)
	}
	// A plugin may report a problem with a key it does not define (or with no key);
	// it still counts and is still shown.
	for _, key := range order {
		if !defined[key] {
			add(&pluginv1.ConfigKey{Name: key, Type: pluginv1.ConfigKey_TYPE_STRING, Importance: pluginv1.ConfigKey_IMPORTANCE_LOW})
		}
	}
	return out, nil
}

// ReloadPlugins implements adminv1.AdminServer: the node rescans its plugin dir now.
// New classes become creatable; a changed binary serves its tasks from their next start.
func (s *Service) ReloadPlugins(ctx context.Context, _ *adminv1.ReloadPluginsRequest) (*adminv1.ReloadPluginsResponse, error) {
	res, err := s.cfg.Plugins.Reload(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "reload plugins from %s: %v", s.cfg.Plugins.Dir(), err)
	}
	s.log.Info("plugins reloaded on request", "added", res.Added, "replaced", res.Replaced, "removed", res.Removed, "failed", len(res.Failed))
	return &adminv1.ReloadPluginsResponse{Added: res.Added, Replaced: res.Replaced, Removed: res.Removed,
		Failed: res.Failed, Dir: s.cfg.Plugins.Dir()}, nil
}
