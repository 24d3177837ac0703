package resolvers

import (
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/graph/model"
)

// Conversions of the inputs of guests and discovery.

func guestInput(in *model.GuestInput) account.GuestInput {
	if in == nil {
		return account.GuestInput{}
	}
	return account.GuestInput{FullName: val(in.FullName), Metadata: in.Metadata, DeviceToken: val(in.DeviceToken)}
}

func guestUpgrade(in model.UpgradeGuestInput) account.GuestUpgrade {
	return account.GuestUpgrade{Username: val(in.Username), Email: val(in.Email), Phone: val(in.Phone),
		Password: in.Password, FirstName: val(in.FirstName), LastName: val(in.LastName), FullName: val(in.FullName)}
}

func toDiscovery(f *model.DiscoveryFilter) account.Discovery {
	if f == nil {
		return account.Discovery{}
	}
	return account.Discovery{IDs: f.Ids, Usernames: f.Usernames, FirstName: val(f.FirstName), LastName: val(f.LastName),
		FullName: val(f.FullName), Search: val(f.Search), Email: val(f.Email),
		Tags: toSet(f.Tags), LastRequestAt: toRange(f.LastRequestAt)}
}
