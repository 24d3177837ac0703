package account

import "github.com/usergraph/usergraph/store"

// withPhoneKeys returns a copy of a filter whose phone numbers, at every
// level, are normalized as at sign-in (checkPhone, with the configured
// region): the store compares them with PhoneKey as given. A value that
// is no phone number matches nobody, as it would find no account at
// sign-in.
func (s *Service) withPhoneKeys(f *store.UserFilter) *store.UserFilter {
	if f == nil {
		return nil
	}
	out := *f
	if f.Phones != nil {
		out.Phones = make([]string, len(f.Phones))
		for i, p := range f.Phones {
			out.Phones[i], _ = checkPhone(p, s.cfg.PhoneRegion) // "" on error: nobody
		}
	}
	out.And = s.withPhoneKeysAll(f.And)
	out.Or = s.withPhoneKeysAll(f.Or)
	out.Not = s.withPhoneKeys(f.Not)
	return &out
}

func (s *Service) withPhoneKeysAll(fs []store.UserFilter) []store.UserFilter {
	if fs == nil {
		return nil
	}
	out := make([]store.UserFilter, len(fs))
	for i := range fs {
		out[i] = *s.withPhoneKeys(&fs[i])
	}
	return out
}
