package graph

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// sourcesCache holds the region sources of one request, read once however
// many figures ask.
type sourcesCache struct {
	once    sync.Once
	sources map[string]hin.RegionSource
	err     error
}

func regionSources(ctx context.Context) (map[string]hin.RegionSource, error) {
	l := loadersFrom(ctx)
	c := &l.sources
	c.once.Do(func() { c.sources, c.err = l.store.RegionSources(ctx) })
	return c.sources, c.err
}

// coverageRegions are the regions a figure expected, in code order.
func coverageRegions(c *hin.Coverage) []hin.Region {
	out := slices.Concat(c.ReportingRegions, c.MissingRegions)
	slices.SortFunc(out, func(a, b hin.Region) int { return strings.Compare(a.Code, b.Code) })
	return out
}

func coverageSources(ctx context.Context, c *hin.Coverage) ([]hin.RegionSource, error) {
	all, err := regionSources(ctx)
	if err != nil {
		return nil, err
	}
	return sourcesOf(ctx, all, coverageRegions(c)), nil
}

// sourcesOf is the sources of regions that have one, in the regions' order.
func sourcesOf(ctx context.Context, all map[string]hin.RegionSource, regions []hin.Region) []hin.RegionSource {
	out := make([]hin.RegionSource, 0, len(regions))
	for _, r := range regions {
		if s, ok := all[r.ID]; ok {
			out = append(out, s)
		}
	}
	produced(ctx, "", len(out))
	return out
}

func staleRegions(ctx context.Context, c *hin.Coverage) ([]hin.Region, error) {
	all, err := regionSources(ctx)
	if err != nil {
		return nil, err
	}
	out := []hin.Region{}
	for _, r := range coverageRegions(c) {
		if all[r.ID].Stale {
			out = append(out, r)
		}
	}
	produced(ctx, "", len(out))
	return out, nil
}

func allRegionSources(ctx context.Context) ([]hin.RegionSource, error) {
	l := loadersFrom(ctx)
	c, err := l.reference(ctx)
	if err != nil {
		return nil, err
	}
	all, err := regionSources(ctx)
	if err != nil {
		return nil, err
	}
	// by code as Go compares it, which the database's collation may not
	regions := slices.Clone(c.regions)
	slices.SortFunc(regions, func(a, b hin.Region) int { return strings.Compare(a.Code, b.Code) })
	return sourcesOf(ctx, all, regions), nil
}
