package resolvers

import (
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/store"
)

// Conversions from GraphQL inputs to service inputs.

func signupInput(in model.SignupInput) account.NewUser {
	return account.NewUser{
		Username: val(in.Username), Email: val(in.Email), Phone: val(in.Phone), Password: in.Password,
		Profile: account.Profile{
			FirstName: val(in.FirstName), LastName: val(in.LastName), FullName: val(in.FullName),
			Website: val(in.Website), AvatarURL: val(in.AvatarURL), Address: val(in.Address),
			AdditionalInfo: val(in.AdditionalInfo),
		},
		Tags: in.Tags, Metadata: in.Metadata, DeviceToken: val(in.DeviceToken),
	}
}

func createUserInput(in model.CreateUserInput) account.NewUser {
	u := account.NewUser{
		Username: val(in.Username), Email: val(in.Email), Phone: val(in.Phone), Password: val(in.Password),
		Profile: account.Profile{
			FirstName: val(in.FirstName), LastName: val(in.LastName), FullName: val(in.FullName),
			Website: val(in.Website), AvatarURL: val(in.AvatarURL), Address: val(in.Address),
			AdditionalInfo: val(in.AdditionalInfo),
		},
		Tags: in.Tags, Metadata: in.Metadata, AppMetadata: in.AppMetadata, Roles: in.Roles,
	}
	if in.Status != nil {
		u.Status = store.Status(*in.Status)
	}
	if in.EmailVerified != nil {
		u.EmailVerified = *in.EmailVerified
	}
	return u
}

func profileChange(in model.ProfileInput) account.ProfileChange {
	return account.ProfileChange{
		Email: opt(in.Email), Phone: opt(in.Phone),
		FirstName: opt(in.FirstName), LastName: opt(in.LastName), FullName: opt(in.FullName),
		Website: opt(in.Website), AvatarURL: opt(in.AvatarURL), Address: opt(in.Address),
		AdditionalInfo: opt(in.AdditionalInfo), Tags: optList(in.Tags), MetadataPatch: optJSON(in.Metadata),
	}
}

func adminChange(in model.UpdateUserInput) account.AdminChange {
	ch := account.AdminChange{
		ProfileChange: account.ProfileChange{
			Email: opt(in.Email), Phone: opt(in.Phone),
			FirstName: opt(in.FirstName), LastName: opt(in.LastName), FullName: opt(in.FullName),
			Website: opt(in.Website), AvatarURL: opt(in.AvatarURL), Address: opt(in.Address),
			AdditionalInfo: opt(in.AdditionalInfo), Tags: optList(in.Tags),
		},
		Username: opt(in.Username), Password: opt(in.Password), AppMetadataPatch: optJSON(in.AppMetadata),
	}
	if v, ok := in.EmailVerified.ValueOK(); ok {
		b := v != nil && *v
		ch.EmailVerified = &b
	}
	return ch
}

func patchInput(in model.UserPatchInput) account.Patch {
	p := account.Patch{AddRoles: in.AddRoles, RemoveRoles: in.RemoveRoles, AddTags: in.AddTags,
		RemoveTags: in.RemoveTags, AppMetadata: in.AppMetadata}
	if in.Status != nil {
		s := store.Status(*in.Status)
		p.Status = &s
	}
	return p
}

func permissionInput(in model.PermissionInput) access.PermissionInput {
	verbs := make([]store.Verb, len(in.Verbs))
	for i, v := range in.Verbs {
		verbs[i] = store.Verb(v)
	}
	return access.PermissionInput{Name: val(in.Name), Pattern: in.Pattern, Verbs: verbs}
}

// opt maps an omittable nullable string: left out → nil (unchanged),
// null → "" (cleared), a value → the value.
func opt(o graphql.Omittable[*string]) *string {
	v, ok := o.ValueOK()
	if !ok {
		return nil
	}
	s := val(v)
	return &s
}

func optList(o graphql.Omittable[[]string]) *[]string {
	v, ok := o.ValueOK()
	if !ok {
		return nil
	}
	l := nonNil(v)
	return &l
}

// optJSON maps an omittable JSON value: left out → nil, null → "null".
func optJSON(o graphql.Omittable[json.RawMessage]) json.RawMessage {
	v, ok := o.ValueOK()
	if !ok {
		return nil
	}
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}
