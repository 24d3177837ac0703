import { UsergraphClient } from './client';
import { mount } from './page';
import { Session } from './session';

// The endpoint: /graphql on the page's own origin (the dev server forwards
// it to usergraph), or VITE_USERGRAPH_URL at build time for a usergraph on
// another origin (then list the page's origin in USERGRAPH_CORS_ORIGINS).
const endpoint = import.meta.env.VITE_USERGRAPH_URL ?? '/graphql';

mount(document.querySelector<HTMLElement>('#app')!, new Session(new UsergraphClient(endpoint)));
