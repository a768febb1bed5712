package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The federated network runs on PostgreSQL logical replication; nothing
// here copies rows itself. A regional node publishes its region's rows of
// the regional tables; the national node subscribes to each. The national
// node publishes the reference catalogue to each regional node.

// RegionalTable is a table whose rows belong to one region: written at that
// region's node and replicated to the national node.
type RegionalTable struct {
	Name         string
	RegionColumn string
	// Catalogue: the other regions' rows are reference data a regional
	// node needs (organisations: a pilot's site may be in another region).
	Catalogue bool
}

// RegionalTables is the one list of tables a regional node owns rows of.
// A new table with a region column (e.g. an outcome history) is added here:
// publications, guards and replica identity follow from this list.
var RegionalTables = []RegionalTable{
	{Name: "organisation", RegionColumn: "region_id", Catalogue: true},
	{Name: "pilot", RegionColumn: "region_id"},
	{Name: "adoption", RegionColumn: "region_id"},
	{Name: "outcome", RegionColumn: "region_id"},
	// an outcome's earlier states (restatements, withdrawals), for as-of figures
	{Name: "outcome_history", RegionColumn: "region_id"},
	// a region's collection submissions and what it said with them
	{Name: "collection_submission", RegionColumn: "region_id"},
	{Name: "collection_note", RegionColumn: "region_id"},
}

// CatalogueTables are written only at the national node and copied, whole,
// to every regional node. Innovations are here, not regional: their
// programme links and stage history carry no region column to filter on.
var CatalogueTables = []string{
	"region", "metric", "programme", "programme_region", "collaborative", "collaborative_region",
	"innovation", "innovation_programme", "innovation_stage_change",
	"collection", "collection_metric", "collection_exemption", "collection_period",
}

// Names of the publications and subscriptions, per region.
const (
	regionPublication     = "hin_region"    // at a regional node: its rows
	catalogueSubscription = "hin_catalogue" // at a regional node: from the national node
	moveSubscription      = "hin_move"      // at a regional node, during a move-out
)

func regionSlug(code string) string {
	return strings.ToLower(strings.ReplaceAll(code, "-", "_"))
}

// CataloguePublication is the national node's publication of the catalogue
// for one regional node.
func CataloguePublication(code string) string { return "hin_catalogue_" + regionSlug(code) }

// RegionSubscription is the national node's subscription to a regional node.
func RegionSubscription(code string) string { return "hin_region_" + regionSlug(code) }

func movePublication(code string) string { return "hin_move_" + regionSlug(code) }

// Node returns this node's configuration as stored (national when unset).
func (s *Store) Node(ctx context.Context) (hin.Node, string, error) {
	var row struct {
		Role        string  `db:"role"`
		RegionID    *string `db:"region_id"`
		Code        *string `db:"code"`
		NodeURL     string  `db:"node_url"`
		NationalURL string  `db:"national_url"`
	}
	err := s.getOne(ctx, s.db, &row, `SELECT f.role, f.region_id, r.code, f.node_url, f.national_url
		FROM federation_node f LEFT JOIN region r ON r.id = f.region_id`)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return hin.Node{Role: hin.NodeNational}, "", nil
	}
	if err != nil {
		return hin.Node{}, "", err
	}
	n := hin.Node{Role: hin.NodeRole(row.Role), NodeURL: row.NodeURL, NationalURL: row.NationalURL}
	var regionID string
	if row.RegionID != nil {
		regionID = *row.RegionID
	}
	if row.Code != nil {
		n.RegionCode = *row.Code
	}
	return n, regionID, nil
}

// ConfigureNode records this node's role and installs the guards that make
// each region's rows writable at one node only. A regional node's region
// must be in the catalogue already (subscribed from the national node).
func (s *Store) ConfigureNode(ctx context.Context, n hin.Node) error {
	if n.Role == "" {
		n.Role = hin.NodeNational
	}
	var regionID *string
	if n.Role == hin.NodeRegional {
		id, err := s.regionIDByCode(ctx, n.RegionCode)
		if err != nil {
			return err
		}
		regionID = &id
	}
	const q = `INSERT INTO federation_node (role, region_id, node_url, national_url) VALUES ($1, $2, $3, $4)
		ON CONFLICT (only_row) DO UPDATE SET role = $1, region_id = $2, node_url = $3, national_url = $4`
	if _, err := s.exec(ctx, s.db, q, string(n.Role), regionID, n.NodeURL, n.NationalURL); err != nil {
		return fmt.Errorf("configure node: %w", err)
	}
	return s.installGuards(ctx)
}

func (s *Store) regionIDByCode(ctx context.Context, code string) (string, error) {
	var id string
	err := s.getOne(ctx, s.db, &id, `SELECT id FROM region WHERE code = $1`, code)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return "", hin.Errorf(hin.ENOTFOUND, "no region has the code %q", code)
	}
	return id, err
}

// installGuards puts the one-writer guard on every regional table and the
// read-only guard on every catalogue table, and gives the regional tables
// the replica identity their row filters need (a filtered publication of
// UPDATE and DELETE must see the filter column in the old row).
func (s *Store) installGuards(ctx context.Context) error {
	var stmts []string
	for _, t := range RegionalTables {
		tbl := pq.QuoteIdentifier(t.Name)
		stmts = append(stmts,
			`CREATE OR REPLACE TRIGGER region_writer_guard BEFORE INSERT OR UPDATE OR DELETE ON `+tbl+
				` FOR EACH ROW EXECUTE FUNCTION region_writer_guard(`+pq.QuoteLiteral(t.RegionColumn)+`)`,
			`ALTER TABLE `+tbl+` REPLICA IDENTITY FULL`)
	}
	for _, t := range CatalogueTables {
		stmts = append(stmts, `CREATE OR REPLACE TRIGGER catalogue_guard BEFORE INSERT OR UPDATE OR DELETE ON `+
			pq.QuoteIdentifier(t)+` FOR EACH STATEMENT EXECUTE FUNCTION catalogue_guard()`)
	}
	for _, q := range stmts {
		if _, err := s.exec(ctx, s.db, q); err != nil {
			return fmt.Errorf("install guards: %w", err)
		}
	}
	return nil
}

// publish creates (or redefines) a publication of inserts, updates and
// deletes; TRUNCATE is not published, so a seed reset at one node never
// empties another.
func (s *Store) publish(ctx context.Context, name string, tables []string) error {
	var exists bool
	if err := s.getOne(ctx, s.db, &exists, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, name); err != nil {
		return err
	}
	verb := "CREATE PUBLICATION " + pq.QuoteIdentifier(name) + " FOR TABLE "
	if exists {
		verb = "ALTER PUBLICATION " + pq.QuoteIdentifier(name) + " SET TABLE "
	}
	q := verb + strings.Join(tables, ", ")
	if !exists {
		q += ` WITH (publish = 'insert, update, delete')`
	}
	if _, err := s.exec(ctx, s.db, q); err != nil {
		return fmt.Errorf("publication %s: %w", name, err)
	}
	return nil
}

func (s *Store) dropPublication(ctx context.Context, name string) error {
	_, err := s.exec(ctx, s.db, `DROP PUBLICATION IF EXISTS `+pq.QuoteIdentifier(name))
	return err
}

// regionFilter is a publication row filter; the region's UUID is checked
// by the caller to be a UUID read from the region table.
func regionFilter(t RegionalTable, regionID string, keep bool) string {
	col := pq.QuoteIdentifier(t.RegionColumn)
	lit := pq.QuoteLiteral(regionID) + "::uuid"
	if keep {
		return pq.QuoteIdentifier(t.Name) + " WHERE (" + col + " = " + lit + ")"
	}
	return pq.QuoteIdentifier(t.Name) + " WHERE (" + col + " IS NULL OR " + col + " <> " + lit + ")"
}

// catalogueFor lists the national node's catalogue for a regional node:
// every catalogue table, and the other regions' rows of regional tables
// that are reference data.
func catalogueFor(regionID string) []string {
	var out []string
	for _, t := range CatalogueTables {
		out = append(out, pq.QuoteIdentifier(t))
	}
	for _, t := range RegionalTables {
		if t.Catalogue {
			out = append(out, regionFilter(t, regionID, false))
		}
	}
	return out
}

// regionRows lists one region's rows of every regional table.
func regionRows(regionID string) []string {
	var out []string
	for _, t := range RegionalTables {
		out = append(out, regionFilter(t, regionID, true))
	}
	return out
}

// subscribe creates a subscription unless it exists; copy says whether the
// rows already published are copied first. Its slot on the publisher is
// named after the publication, which is unique there (every regional node
// names its catalogue subscription alike).
func (s *Store) subscribe(ctx context.Context, name, conninfo, publication string, copyData bool) error {
	var exists bool
	if err := s.getOne(ctx, s.db, &exists, `SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1
		AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()))`, name); err != nil {
		return err
	}
	if exists {
		return nil
	}
	q := fmt.Sprintf(`CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (copy_data = %t, slot_name = %s)`,
		pq.QuoteIdentifier(name), pq.QuoteLiteral(conninfo), pq.QuoteIdentifier(publication), copyData, pq.QuoteLiteral(publication))
	if _, err := s.exec(ctx, s.db, q); err != nil {
		return fmt.Errorf("subscription %s: %w", name, err)
	}
	return nil
}

func (s *Store) dropSubscription(ctx context.Context, name string) error {
	_, err := s.exec(ctx, s.db, `DROP SUBSCRIPTION IF EXISTS `+pq.QuoteIdentifier(name))
	return err
}

// waitSynced waits until every table of a subscription has its initial
// copy done and the apply worker has caught up with it (state 'r').
func (s *Store) waitSynced(ctx context.Context, sub string) error {
	const q = `SELECT count(*) FILTER (WHERE r.srsubstate <> 'r'), count(*)
		FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1`
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		var pending, all int
		row := s.db.QueryRowxContext(ctx, q, sub)
		if err := row.Scan(&pending, &all); err != nil {
			return false, mapError(err)
		}
		return all > 0 && pending == 0, nil
	}, "subscription "+sub+" to finish its initial copy")
}

// waitConfirmed waits until the subscriber of a slot on this (publishing)
// database has confirmed everything written here so far.
func (s *Store) waitConfirmed(ctx context.Context, slot string) error {
	var lsn string
	if err := s.getOne(ctx, s.db, &lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
		return err
	}
	const q = `SELECT coalesce(confirmed_flush_lsn >= $2::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = $1`
	return poll(ctx, 5*time.Minute, func() (bool, error) {
		var ok bool
		if err := s.db.QueryRowxContext(ctx, q, slot, lsn).Scan(&ok); err != nil {
			return false, mapError(err)
		}
		return ok, nil
	}, "the national node to confirm the region's last changes")
}

func poll(ctx context.Context, limit time.Duration, done func() (bool, error), what string) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockRegionalTables waits for every write in flight on the regional tables
// to end, and holds new ones until the caller's transaction commits: a
// change of owner then cannot miss a write that passed the guard before it.
func lockRegionalTables() string {
	var names []string
	for _, t := range RegionalTables {
		names = append(names, pq.QuoteIdentifier(t.Name))
	}
	return `LOCK TABLE ` + strings.Join(names, ", ") + ` IN SHARE ROW EXCLUSIVE MODE`
}

// setOwner records who writes a region, after the writes in flight end.
func (s *Store) setOwner(ctx context.Context, regionID, nodeURL string, local bool, conninfo, sub string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, lockRegionalTables()); err != nil {
			return err
		}
		const q = `INSERT INTO region_owner (region_id, node_url, is_local, conninfo, subscription) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (region_id) DO UPDATE SET node_url = $2, is_local = $3, conninfo = $4, subscription = $5, since = now()`
		_, err := s.exec(ctx, tx, q, regionID, nodeURL, local, conninfo, sub)
		return err
	})
}

func (s *Store) clearOwner(ctx context.Context, regionID string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, lockRegionalTables()); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `DELETE FROM region_owner WHERE region_id = $1`, regionID)
		return err
	})
}

// Move describes moving one region between the national node and its own.
type Move struct {
	Region string // region code
	// NodeURL is the regional node's API; NationalURL the national node's.
	NodeURL, NationalURL string
	// RegionalConninfo is how the national database reaches the regional
	// one; NationalConninfo how the regional database reaches the national
	// one (libpq connection strings).
	RegionalConninfo, NationalConninfo string
	Logf                               func(format string, args ...any)
}

func (m *Move) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// MoveOut gives a region its own node. The regional database must be
// migrated (and empty of the region's rows); it receives the catalogue and
// the region's rows by logical replication from the national node, then
// becomes the region's one writer, and the national node subscribes to it.
// Writes for the region are refused at both nodes only while it moves.
func MoveOut(ctx context.Context, national, regional *Store, m Move) error {
	regionID, err := national.regionIDByCode(ctx, m.Region)
	if err != nil {
		return err
	}
	code := m.Region
	if err := national.installGuards(ctx); err != nil {
		return err
	}
	m.logf("national: publishing the catalogue for %s", code)
	if err := national.publish(ctx, CataloguePublication(code), catalogueFor(regionID)); err != nil {
		return err
	}
	m.logf("regional: subscribing to the catalogue")
	if err := regional.subscribe(ctx, catalogueSubscription, m.NationalConninfo, CataloguePublication(code), true); err != nil {
		return err
	}
	if err := regional.waitSynced(ctx, catalogueSubscription); err != nil {
		return err
	}
	if err := regional.ConfigureNode(ctx, hin.Node{Role: hin.NodeRegional, RegionCode: code, NodeURL: m.NodeURL, NationalURL: m.NationalURL}); err != nil {
		return err
	}
	// From here the national node refuses the region's writes; the
	// regional node does not take them yet (no owner row there).
	m.logf("national: %s is now written at %s; copying its rows", code, m.NodeURL)
	if err := national.setOwner(ctx, regionID, m.NodeURL, false, m.RegionalConninfo, RegionSubscription(code)); err != nil {
		return err
	}
	if err := national.publish(ctx, movePublication(code), regionRows(regionID)); err != nil {
		return err
	}
	if err := regional.subscribe(ctx, moveSubscription, m.NationalConninfo, movePublication(code), true); err != nil {
		return err
	}
	if err := regional.waitSynced(ctx, moveSubscription); err != nil {
		return err
	}
	// the table copy skipped the per-row rollup refresh: one refresh of all
	if _, err := regional.exec(ctx, regional.db, `SELECT refresh_region_rollups($1)`, regionID); err != nil {
		return fmt.Errorf("rollups of the copied rows: %w", err)
	}
	// Every row was committed before the owner changed, so the synced copy
	// is complete; the move subscription has nothing more to bring.
	if err := regional.dropSubscription(ctx, moveSubscription); err != nil {
		return err
	}
	if err := national.dropPublication(ctx, movePublication(code)); err != nil {
		return err
	}
	m.logf("regional: publishing the region's rows; national: subscribing")
	if err := regional.publish(ctx, regionPublication, regionRows(regionID)); err != nil {
		return err
	}
	// The national node has the rows already: no copy. Its slot exists
	// before the regional node takes its first write, so none is missed.
	if err := national.subscribe(ctx, RegionSubscription(code), m.RegionalConninfo, regionPublication, false); err != nil {
		return err
	}
	if err := regional.setOwner(ctx, regionID, m.NodeURL, true, "", ""); err != nil {
		return err
	}
	m.logf("%s moved out to %s", code, m.NodeURL)
	return nil
}

// MoveIn brings a region back to the national node: the regional node
// stops writing it, the national node waits until it has every change the
// regional node committed, then ends the subscription and writes the
// region itself. The regional node keeps its copy, read-only.
func MoveIn(ctx context.Context, national, regional *Store, m Move) error {
	regionID, err := national.regionIDByCode(ctx, m.Region)
	if err != nil {
		return err
	}
	code := m.Region
	m.logf("regional: %s stops taking writes", code)
	if err := regional.setOwner(ctx, regionID, m.NationalURL, false, "", ""); err != nil {
		return err
	}
	m.logf("waiting for the national node to confirm every change")
	if err := regional.waitConfirmed(ctx, regionPublication); err != nil {
		return err
	}
	if err := national.dropSubscription(ctx, RegionSubscription(code)); err != nil {
		return err
	}
	if err := national.clearOwner(ctx, regionID); err != nil {
		return err
	}
	m.logf("national: writes %s again; retiring the regional node's publication and catalogue", code)
	return errors.Join(
		regional.dropPublication(ctx, regionPublication),
		regional.dropSubscription(ctx, catalogueSubscription),
		national.dropPublication(ctx, CataloguePublication(code)))
}

// RegionalConninfo is the national node's record of how it reaches the
// node that owns a region ("" when the national node writes it).
func (s *Store) RegionalConninfo(ctx context.Context, code string) (string, string, error) {
	var row struct {
		Conninfo string `db:"conninfo"`
		NodeURL  string `db:"node_url"`
	}
	err := s.getOne(ctx, s.db, &row, `SELECT o.conninfo, o.node_url FROM region_owner o JOIN region r ON r.id = o.region_id
		WHERE r.code = $1 AND NOT o.is_local`, code)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return "", "", hin.Errorf(hin.ENOTFOUND, "region %s has no node of its own", code)
	}
	return row.Conninfo, row.NodeURL, err
}

// RegionSources says, for every region, where its data at this node comes
// from and how fresh it is (stale past Config.StaleAfter). The freshness of a replicated region is the publisher's
// send time of the last message its subscription received.
func (s *Store) RegionSources(ctx context.Context) (map[string]hin.RegionSource, error) {
	staleAfter := s.staleAfter
	if staleAfter <= 0 {
		staleAfter = hin.DefaultStaleAfter
	}
	const q = `
SELECT r.id AS region_id,
       CASE WHEN o.region_id IS NOT NULL AND NOT o.is_local AND f.role IS DISTINCT FROM 'REGIONAL' THEN 'REGIONAL'
            WHEN o.is_local AND f.role = 'REGIONAL' THEN 'REGIONAL'
            ELSE 'NATIONAL' END AS node,
       CASE WHEN o.region_id IS NOT NULL THEN o.node_url
            WHEN f.role = 'REGIONAL' THEN f.national_url
            ELSE coalesce(f.node_url, '') END AS node_url,
       CASE WHEN o.region_id IS NOT NULL THEN o.is_local ELSE f.role IS DISTINCT FROM 'REGIONAL' END AS local,
       (o.subscription <> '' AND o.subscription IS NOT NULL) AS replicated,
       coalesce(st.pid IS NOT NULL, false) AS connected,
       st.last_msg_send_time AS last_replicated_at,
       extract(epoch FROM clock_timestamp() - st.last_msg_send_time)::float8 AS lag_seconds
FROM region r
LEFT JOIN federation_node f ON true
LEFT JOIN region_owner o ON o.region_id = r.id
LEFT JOIN pg_subscription sub ON sub.subname = o.subscription
     AND sub.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
LEFT JOIN pg_stat_subscription st ON st.subid = sub.oid AND st.relid IS NULL`
	var rows []hin.RegionSource
	if err := s.selectAll(ctx, s.db, &rows, q); err != nil {
		return nil, fmt.Errorf("region sources: %w", err)
	}
	out := make(map[string]hin.RegionSource, len(rows))
	for _, r := range rows {
		r.MarkStale(staleAfter)
		out[r.RegionID] = r
	}
	return out, nil
}
