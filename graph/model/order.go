package model

import "github.com/hin-graph/hin-graph/internal/hin"

// Order methods turn the generated order inputs into the domain's order;
// a nil input means the list's default order.

func (o *OrganisationOrder) Order() hin.Order { return toOrder(o == nil, o.field, o.dir) }
func (o *ProgrammeOrder) Order() hin.Order    { return toOrder(o == nil, o.field, o.dir) }
func (o *InnovationOrder) Order() hin.Order   { return toOrder(o == nil, o.field, o.dir) }
func (o *PilotOrder) Order() hin.Order        { return toOrder(o == nil, o.field, o.dir) }
func (o *AdoptionOrder) Order() hin.Order     { return toOrder(o == nil, o.field, o.dir) }
func (o *OutcomeOrder) Order() hin.Order      { return toOrder(o == nil, o.field, o.dir) }

func (o *OrganisationOrder) field() string           { return string(o.Field) }
func (o *OrganisationOrder) dir() *hin.SortDirection { return o.Direction }
func (o *ProgrammeOrder) field() string              { return string(o.Field) }
func (o *ProgrammeOrder) dir() *hin.SortDirection    { return o.Direction }
func (o *InnovationOrder) field() string             { return string(o.Field) }
func (o *InnovationOrder) dir() *hin.SortDirection   { return o.Direction }
func (o *PilotOrder) field() string                  { return string(o.Field) }
func (o *PilotOrder) dir() *hin.SortDirection        { return o.Direction }
func (o *AdoptionOrder) field() string               { return string(o.Field) }
func (o *AdoptionOrder) dir() *hin.SortDirection     { return o.Direction }
func (o *OutcomeOrder) field() string                { return string(o.Field) }
func (o *OutcomeOrder) dir() *hin.SortDirection      { return o.Direction }

func toOrder(isNil bool, field func() string, dir func() *hin.SortDirection) hin.Order {
	if isNil {
		return hin.Order{}
	}
	o := hin.Order{Field: field(), Direction: hin.Asc}
	if d := dir(); d != nil {
		o.Direction = *d
	}
	return o
}
