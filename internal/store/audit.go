package store

import (
	"context"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const auditCols = `ae.id, ae.at, ae.actor, ae.actor_role, ae.action, ae.entity_kind, ae.entity_id, ae.region_id, ae.before, ae.after, ae.request_id`

var auditList = listDef{
	cols:         auditCols,
	from:         "audit_event ae",
	idCol:        "ae.id",
	defaultOrder: "AT",
	orders:       map[string]orderSpec{"AT": {"ae.at", "timestamptz"}},
}

type auditRow struct {
	hin.AuditEvent
	rowKeys
}

func (r auditRow) item() hin.AuditEvent        { return r.AuditEvent }
func (r auditRow) keys() (int, string, string) { return r.ParentNo, r.SortKey, r.ID }

// auditQuery limits the trail to what the caller may read: everything for
// national admins, their own region's events for region editors.
func auditQuery(ctx context.Context, f hin.AuditFilter) (*listQuery, error) {
	all, region, err := hin.PrincipalFrom(ctx).AuditScope()
	if err != nil {
		return nil, err
	}
	q, err := auditList.query("")
	if err != nil {
		return nil, err
	}
	if !all {
		q.and("ae.region_id = " + q.arg(region) + "::uuid")
	}
	q.inRegionCodes("ae.region_id", f.RegionCodes)
	if len(f.EntityIDs) > 0 {
		ids := make([]string, 0, len(f.EntityIDs))
		for _, id := range f.EntityIDs {
			_, uuid, err := hin.ParseGlobalID(id)
			if err != nil {
				return nil, hin.Invalid("filter.entityIds", "%s", hin.ErrorMessage(err))
			}
			ids = append(ids, uuid)
		}
		q.and("ae.entity_id = ANY(" + q.arg(pqArray(ids)) + "::uuid[])")
	}
	q.inStrings("ae.action", f.Actions)
	if f.Since != nil {
		q.and("ae.at >= " + q.arg(*f.Since) + "::date")
	}
	return q, nil
}

// AuditTrail pages through the audit events the caller may read.
func (s *Store) AuditTrail(ctx context.Context, in ListIn, f hin.AuditFilter) (map[string]*hin.Page[hin.AuditEvent], error) {
	q, err := auditQuery(ctx, f)
	if err != nil {
		return nil, err
	}
	return list[auditRow](ctx, s, q, in)
}

// CountAuditTrail counts them.
func (s *Store) CountAuditTrail(ctx context.Context, _ string, ids []string, f hin.AuditFilter) (map[string]int, error) {
	q, err := auditQuery(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, q, ids)
}
