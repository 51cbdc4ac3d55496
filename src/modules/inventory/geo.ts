/** A point on Earth in decimal degrees (WGS 84, as the locations module stores it). */
export type Geo = { lat: number; lng: number }

const earthRadiusKm = 6371.0088

/**
 * Great-circle distance by the haversine formula, in kilometres rounded to 0.1 km so that plans
 * compare and print the same on every machine. Road distance is longer; for choosing the
 * nearest of a retailer's locations the ranking is what matters.
 */
export function distanceKm(a: Geo, b: Geo): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return Math.round(2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h))) * 10) / 10
}
