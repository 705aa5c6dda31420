import { store } from "../lib/store";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The latest responses stored without a user, read straight from the store on the server. */
export default async function Home() {
  const page = await (await store()).listResponses({ limit: 10 });
  return (
    <main>
      <h1>Stored responses</h1>
      <p>
        The API is at <code>/v1/responses</code> (try <code>curl -s localhost:3000/v1/responses</code>).
      </p>
      <ul>
        {page.data.map((r) => (
          <li key={r.id}>
            <code>{r.id}</code> — {r.model}, {new Date(r.created_at * 1000).toISOString()}
          </li>
        ))}
      </ul>
      {page.data.length === 0 && <p>None yet: store some with the library, then reload.</p>}
    </main>
  );
}
