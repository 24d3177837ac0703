package httpapi

import (
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// maxValidationErrors is how many errors validation reports before it
// gives up, as graphql-js's validate does (its maxErrors, 100 too). Every
// error costs microseconds to build and present and makes the answer
// longer: without the cap, 150 fields aliased a (a 1 KB document) make
// 11,000 conflict errors and a 2.7 MB answer.
const maxValidationErrors = 100

// validationRules returns, for gqlgen's SetValidationRulesFn, gqlparser's
// default rules with their errors capped at maxValidationErrors per
// document. Without suggestions (introspection off), every rule that
// suggests names is swapped for its variant that does not; gqlgen swaps
// only two of them, and the others would name arguments and types.
func validationRules(suggestions bool) func() *rules.Rules {
	return func() *rules.Rules {
		set := rules.NewDefaultRules()
		if !suggestions {
			for _, r := range []core.Rule{
				rules.FieldsOnCorrectTypeRuleWithoutSuggestions, rules.ScalarLeafsRuleWithoutSuggestions,
				rules.KnownArgumentNamesRuleWithoutSuggestions, rules.KnownTypeNamesRuleWithoutSuggestions,
				rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
			} {
				set.RemoveRule(r.Name[:len(r.Name)-len("WithoutSuggestions")])
				set.AddRule(r.Name, r.RuleFunc)
			}
		}
		// The rules are made afresh for each document, so one counter
		// serves one validation.
		reported := 0
		capped := rules.NewRules()
		for name, rule := range set.GetInner() {
			capped.AddRule(name, func(ev *core.Events, addError core.AddErrFunc) {
				rule(ev, func(opts ...core.ErrorOption) {
					reported++
					switch {
					case reported <= maxValidationErrors:
						addError(opts...)
					case reported == maxValidationErrors+1:
						addError(core.Message("Too many validation errors, error limit reached. Validation aborted."))
					}
				})
			})
		}
		return capped
	}
}
