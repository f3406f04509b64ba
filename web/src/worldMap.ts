/**
 * The world outline for the explore map: world-atlas's 110m TopoJSON of
 * countries, bundled by Vite (its own chunk, loaded on first use: no CDN,
 * no map tiles, nothing outside our own origin), turned into SVG paths with
 * d3-geo.
 */

import { geoPath, type GeoProjection } from 'd3-geo';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

export type Countries = FeatureCollection<Geometry, { name?: string }>;

let cache: Promise<Countries> | null = null;

/** The countries as GeoJSON (imported once, then cached). */
export function loadCountries(): Promise<Countries> {
  cache ??= import('world-atlas/countries-110m.json').then((m) => {
    const topo = (m.default ?? m) as unknown as Topology<{ countries: GeometryCollection<{ name?: string }> }>;
    return feature(topo, topo.objects.countries) as Countries;
  });
  return cache;
}

/** One SVG path string per country, plus the sphere (ocean) outline. */
export function countryPaths(countries: Countries, projection: GeoProjection): { sphere: string; countries: { name: string; d: string }[] } {
  const path = geoPath(projection);
  return {
    sphere: path({ type: 'Sphere' }) ?? '',
    countries: countries.features
      .map((f: Feature<Geometry, { name?: string }>) => ({ name: f.properties?.name ?? '', d: path(f) ?? '' }))
      .filter((c) => c.d !== ''),
  };
}
