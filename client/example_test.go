package client_test

import (
	"context"
	"fmt"

	"github.com/usergraph/usergraph/client"
)

// Sign up, then call the API as the new account. Compiled with the tests,
// so it stays in step with the generated code; it needs a server to run.
func Example() {
	ctx := context.Background()
	const endpoint = "http://127.0.0.1:8080/graphql"

	res, err := client.Signup(ctx, client.New(endpoint, "", nil), &client.SignupInput{
		Username: client.Ptr("ada"),
		Email:    client.Ptr("ada@example.com"),
		Password: "correct horse battery",
	})
	switch {
	case client.Code(err) == "ALREADY_EXISTS":
		fmt.Println("taken:", client.Field(err))
		return
	case err != nil:
		fmt.Println(err)
		return
	case res.Signup.Auth == nil:
		fmt.Println("signed up, not signed in yet:", res.Signup.User.Status)
		return
	}

	ada := client.New(endpoint, res.Signup.Auth.AccessToken, nil)
	me, err := client.Me(ctx, ada)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed in as", *me.Me.Username)

	// Update inputs tell a field left out (nil) from one cleared (Null).
	_, err = client.UpdateProfile(ctx, ada, &client.ProfileInput{
		FullName: client.Set("Ada Lovelace"),
		Website:  client.Null[string](),
	})
	if err != nil {
		fmt.Println(client.Code(err), err)
	}
}
