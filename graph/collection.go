package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// National collections: the resolvers only map arguments; the rules are in
// internal/hin/collection.go and the SQL in internal/store/collection.go.

var (
	collectionRef = ref[hin.Collection]{"collection", (*store.Store).CollectionsByID}
	periodRef     = ref[hin.CollectionPeriod]{"collection-period", (*store.Store).CollectionPeriodsByID}
	submissionRef = ref[hin.CollectionSubmission]{"collection-submission", (*store.Store).SubmissionsByID}
)

// Bounds of the collections' lists, for the cost of a query.
const (
	collectionsMax       = 20  // national collections
	periodsMax           = 120 // periods asked for at once: ten years of months
	submissionFiguresMax = 100 // figures of one submission: its metrics, perhaps a few keys each
	submissionNotesMax   = 100
)

func collectionCosts(c *ComplexityRoot) {
	c.Query.Collections = list(collectionsMax)
	c.Collection.Metrics = list(hin.MaxCollectionMetrics)
	c.Collection.Exemptions = list(regionsMax)
	c.Collection.Periods = func(child int, first *int) int { return list(firstOr(first, 12, periodsMax))(child) }
	c.CollectionTracker.Submissions = list(regionsMax)
	c.CollectionTracker.LateRegions = list(regionsMax)
	c.CollectionTracker.Exemptions = list(regionsMax)
	c.CollectionSubmission.AllowedActions = list(len(hin.SubmissionActions))
	c.CollectionSubmission.Figures = list(submissionFiguresMax)
	// each figure can break three rules, each metric two more
	c.CollectionSubmission.Problems = list(3*submissionFiguresMax + 2*hin.MaxCollectionMetrics)
	c.CollectionSubmission.Notes = list(submissionNotesMax)
}

func collectionByCode(ctx context.Context, s *store.Store, code string) (*hin.Collection, error) {
	c, err := s.CollectionByCode(ctx, code)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	produced(ctx, "", 1)
	return &c, nil
}

func collections(ctx context.Context, s *store.Store) ([]hin.Collection, error) {
	cs, err := s.Collections(ctx)
	if err != nil {
		return nil, err
	}
	produced(ctx, "", len(cs))
	return cs, nil
}

// trackerOf answers a root tracker; its submissions are registered, so
// their nested fields batch by count.
func trackerOf(ctx context.Context, s *store.Store, periodID string) (*hin.CollectionTracker, error) {
	uuid, err := hin.ParseIDOf(hin.KindCollectionPeriod, "periodId", periodID)
	if err != nil {
		return nil, err
	}
	trs, err := s.Trackers(ctx, []string{uuid})
	if err != nil {
		return nil, err
	}
	t, ok := trs[uuid]
	if !ok {
		return nil, &hin.Error{Code: hin.ENOTFOUND, Field: "periodId", Message: fmt.Sprintf("no collection period has the ID %s", periodID)}
	}
	produced(ctx, "", 1)
	produced(ctx, "submissions", len(t.Submissions))
	return &t, nil
}

// periodTracker answers CollectionPeriod.tracker: one statement for every
// period of the response.
func periodTracker(ctx context.Context, p *hin.CollectionPeriod) (*hin.CollectionTracker, error) {
	b := cachedBatcher(ctx, "tracker", "ref", func() *batcher[string, hin.CollectionTracker] {
		s := loadersFrom(ctx).store
		return batcherFor(ctx, "tracker", func(ctx context.Context, ids []string) (map[string]hin.CollectionTracker, error) {
			return s.Trackers(ctx, ids)
		}, func(objs *objects, pattern string, calls []string, res map[string]hin.CollectionTracker) {
			countFound(objs, pattern, calls, res)
			n := 0
			for _, id := range calls {
				n += len(res[id].Submissions)
			}
			objs.add(pattern+".submissions", n)
		})
	})
	t, found, err := b.Load(ctx, p.ID)
	if err != nil || !found {
		return nil, err
	}
	return &t, nil
}

func submissionOf(ctx context.Context, s *store.Store, periodID, regionCode string) (*hin.CollectionSubmission, error) {
	uuid, err := hin.ParseIDOf(hin.KindCollectionPeriod, "periodId", periodID)
	if err != nil {
		return nil, err
	}
	r, err := s.RegionByCode(ctx, strings.ToUpper(strings.TrimSpace(regionCode)))
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return nil, hin.Invalid("regionCode", "no region has the code %s", hin.Quote(regionCode))
	}
	if err != nil {
		return nil, err
	}
	id := hin.SubmissionID(uuid, r.ID)
	subs, err := s.SubmissionsByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	sub, ok := subs[id]
	if !ok {
		return nil, &hin.Error{Code: hin.ENOTFOUND, Field: "periodId", Message: fmt.Sprintf("no collection period has the ID %s", periodID)}
	}
	produced(ctx, "", 1)
	return &sub, nil
}

func collectionPeriods(ctx context.Context, c *hin.Collection, first *int) ([]hin.CollectionPeriod, error) {
	n := 12
	if first != nil {
		n = *first
	}
	if n < 0 || n > periodsMax {
		return nil, hin.Invalid("first", "first must be from 0 to %d", periodsMax)
	}
	if n == 0 {
		return []hin.CollectionPeriod{}, nil
	}
	return loadList(ctx, fmt.Sprint("collection-periods/", n), func(s *store.Store, ctx context.Context, ids []string) (map[string][]hin.CollectionPeriod, error) {
		return s.CollectionPeriods(ctx, ids, n)
	}, c.ID)
}

// submissionKey carries a submission's period and region through a
// batcher keyed by string.
func submissionKey(s *hin.CollectionSubmission) string {
	return s.ID + "|" + s.PeriodID + "|" + s.RegionID
}

func submissionsOfKeys(keys []string) []hin.CollectionSubmission {
	out := make([]hin.CollectionSubmission, len(keys))
	for i, k := range keys {
		p := strings.SplitN(k, "|", 3)
		out[i] = hin.CollectionSubmission{ID: p[0], PeriodID: p[1], RegionID: p[2]}
	}
	return out
}

// seenBy keeps the submissions whose drafts the caller may see: problems
// and notes are about drafts.
func seenBy(ctx context.Context, subs []hin.CollectionSubmission) []hin.CollectionSubmission {
	scope := hin.PrincipalFrom(ctx).DraftScope()
	var out []hin.CollectionSubmission
	for _, s := range subs {
		if scope.Sees(hin.OutcomeDraft, s.RegionID) {
			out = append(out, s)
		}
	}
	return out
}

// rekey turns results keyed by submission ID into results keyed as asked.
func rekey[V any](keys []string, byID map[string][]V) map[string][]V {
	out := make(map[string][]V, len(keys))
	for _, k := range keys {
		id, _, _ := strings.Cut(k, "|")
		if v, ok := byID[id]; ok {
			out[k] = v
		}
	}
	return out
}

func submissionFigures(ctx context.Context, sub *hin.CollectionSubmission) ([]hin.Outcome, error) {
	return loadList(ctx, "submission-figures", func(s *store.Store, ctx context.Context, keys []string) (map[string][]hin.Outcome, error) {
		m, err := s.SubmissionFigures(ctx, submissionsOfKeys(keys))
		return rekey(keys, m), err
	}, submissionKey(sub))
}

func submissionProblems(ctx context.Context, sub *hin.CollectionSubmission) ([]hin.SubmissionProblem, error) {
	return loadList(ctx, "submission-problems", func(s *store.Store, ctx context.Context, keys []string) (map[string][]hin.SubmissionProblem, error) {
		m, err := s.SubmissionChecks(ctx, seenBy(ctx, submissionsOfKeys(keys)))
		return rekey(keys, m), err
	}, submissionKey(sub))
}

func submissionNotes(ctx context.Context, sub *hin.CollectionSubmission) ([]hin.SubmissionNote, error) {
	return loadList(ctx, "submission-notes", func(s *store.Store, ctx context.Context, keys []string) (map[string][]hin.SubmissionNote, error) {
		subs := seenBy(ctx, submissionsOfKeys(keys))
		ids := make([]string, len(subs))
		for i, s := range subs {
			ids[i] = s.ID
		}
		m, err := s.SubmissionNotes(ctx, ids)
		return rekey(keys, m), err
	}, submissionKey(sub))
}

// allowedActions says what the caller may do with a submission now.
func allowedActions(ctx context.Context, sub *hin.CollectionSubmission) ([]hin.SubmissionAction, error) {
	p, err := loadOne(ctx, periodRef, sub.PeriodID)
	if err != nil || p == nil {
		return []hin.SubmissionAction{}, err
	}
	f := hin.SubmissionFacts{State: sub.State, RegionID: sub.RegionID, Restatement: sub.Restatement, Closed: p.Closed()}
	if sub.SubmittedBy != nil {
		f.SubmittedBy = *sub.SubmittedBy
	}
	return hin.AllowedActions(f, hin.PrincipalFrom(ctx)), nil
}

// notes gathers a step's notes; notAvailable given (even empty) replaces
// the earlier marks.
func notes(notAvailable []hin.NotAvailableInput, explanations []hin.ExplanationInput) (hin.SubmissionNotes, bool) {
	return hin.SubmissionNotes{NotAvailable: notAvailable, Explanations: explanations}, notAvailable != nil
}

func noteSubmission(ctx context.Context, s *store.Store, id string, na []hin.NotAvailableInput, ex []hin.ExplanationInput) (*hin.CollectionSubmission, error) {
	n, replace := notes(na, ex)
	res, err := s.NoteSubmission(ctx, id, n, replace)
	if err != nil {
		return nil, err
	}
	return &res.Submission, nil
}

func submitForApproval(ctx context.Context, s *store.Store, id string, na []hin.NotAvailableInput, ex []hin.ExplanationInput) (*hin.CollectionSubmission, error) {
	n, replace := notes(na, ex)
	res, err := s.SubmitForApproval(ctx, id, n, replace)
	if err != nil {
		return nil, err
	}
	return &res.Submission, nil
}
