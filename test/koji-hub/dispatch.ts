import { decodeCall, encodeFault, encodeResponse, KojiError, splitKwargs } from '../../packages/client/src/koji/index.ts';
import type { KojiInput, KojiStruct, KojiValue } from '../../packages/client/src/koji/index.ts';
import { authError, authExpired, genericError, HubFault, pythonError, retryError, sequenceError } from './faults.ts';
import { bindArgs, METHODS } from './handlers.ts';
import type { CallContext } from './handlers.ts';
import type { HubSession, HubState, HubUser } from './state.ts';

/** Koji's default MaxRequestLength. */
export const MAX_REQUEST_LENGTH = 4 * 1024 * 1024;
const AUTH_METHODS = new Set(['login', 'sslLogin']);

export interface HubRequest {
  readonly body: Buffer;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** CN of a verified client certificate, given only for the `/ssllogin` endpoint. */
  readonly clientCN: string | undefined;
}

export interface HubReply {
  readonly body: string;
  /** The call name (for test logs). */
  readonly method: string;
}

function fault(err: unknown): string {
  if (err instanceof HubFault) return encodeFault(err.faultCode, err.faultString);
  if (err instanceof KojiError) return encodeFault(1, `<class 'xml.parsers.expat.ExpatError'>: ${err.message}`);
  return encodeFault(1, `<class 'Exception'>: ${err instanceof Error ? err.message : String(err)}`);
}

/** `auth.Session.__init__`: finds the session and applies Koji's expiry and callnum rules. */
function loadSession(state: HubState, req: HubRequest, method: string): { session: HubSession | undefined; callnum: number | null } {
  let id: string | undefined;
  let key: string | undefined;
  let callnumText: string | null | undefined;
  if (req.headers['koji-session-id'] !== undefined) {
    id = req.headers['koji-session-id'];
    key = req.headers['koji-session-key'];
    callnumText = req.headers['koji-session-callnum'] ?? req.headers['koji-callnum'];
  } else if (req.query.has('session-id')) {
    id = req.query.get('session-id') ?? undefined;
    key = req.query.get('session-key') ?? undefined;
    callnumText = req.query.get('callnum');
  } else {
    return { session: undefined, callnum: null };
  }
  const sid = Number(id);
  const session = state.sessions.get(sid);
  if (session === undefined || session.key !== key || session.closed) throw authError('Invalid session or bad credentials');
  if (session.expired && !AUTH_METHODS.has(method)) throw authExpired(`session "${sid}" has expired`);
  let callnum: number | null = null;
  if (callnumText !== undefined && callnumText !== null) {
    if (!/^-?\d+$/.test(callnumText)) throw authError(`Invalid callnum: '${callnumText}'`);
    callnum = Number(callnumText);
    const last = session.callnum;
    if (last !== null) {
      // Threat: replayed or reordered calls; a repeat of a committed write would apply it twice.
      if (last > callnum) throw sequenceError(`${last} > ${callnum} (session ${sid})`);
      if (last === callnum) throw retryError(`unable to retry call ${callnum} (method ${method}) for session ${sid}`);
    }
  }
  return { session: session.expired ? undefined : session, callnum };
}

function runOne(ctx: CallContext, method: string, args: KojiValue[], kwargs: KojiStruct): KojiInput {
  const def = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (def === undefined) throw genericError(`Invalid method: ${method}`);
  return def.run(ctx, bindArgs(method, def.params, args, kwargs));
}

function multiCall(ctx: CallContext, args: KojiValue[], kwargs: KojiStruct): KojiInput {
  const calls = args[0] ?? kwargs['calls'];
  if (!Array.isArray(calls)) throw pythonError('TypeError', 'multiCall expects a list of calls');
  return calls.map((call): KojiInput => {
    try {
      if (typeof call !== 'object' || call === null || Array.isArray(call) || call instanceof Date || Buffer.isBuffer(call)) throw pythonError('TypeError', 'call must be a struct');
      const name = call['methodName'];
      const params = call['params'];
      if (typeof name !== 'string' || !Array.isArray(params)) throw pythonError('KeyError', "'methodName'");
      if (name === 'multiCall') throw genericError('multicall is not supported inside multicall');
      const split = splitKwargs(params);
      // Each call runs in its own savepoint: handlers check everything before they change state.
      return [runOne(ctx, name, split.args, split.kwargs)];
    } catch (err) {
      if (err instanceof HubFault) return { faultCode: err.faultCode, faultString: err.faultString };
      throw err;
    }
  });
}

/** Handles one POST to the hub endpoint: request bytes in, XML-RPC response text out. */
export function dispatch(state: HubState, req: HubRequest): HubReply {
  let method = 'UNKNOWN';
  try {
    if (req.body.length > MAX_REQUEST_LENGTH) throw genericError('Request too long');
    const call = decodeCall(req.body, { maxBytes: MAX_REQUEST_LENGTH, maxDepth: 64, maxElements: 1_000_000 });
    method = call.method;
    const { session, callnum } = loadSession(state, req, method);
    const user: HubUser | undefined = session === undefined ? undefined : state.users.find((u) => u.id === session.userId);
    const ctx: CallContext = { state, session, user, clientCN: req.clientCN, committed: false };
    const value = method === 'multiCall' ? multiCall(ctx, call.args, call.kwargs) : runOne(ctx, method, call.args, call.kwargs);
    // Koji stores the callnum in the same transaction: it sticks only when the call committed.
    if (ctx.committed && session !== undefined && callnum !== null && !session.closed) session.callnum = callnum;
    return { body: encodeResponse(value), method };
  } catch (err) {
    return { body: fault(err), method };
  }
}
