import { frameVectors, payloadOf } from '/work/wt-13/test/support/vectors.ts';
import { decodeMessage } from '/work/wt-13/src/protocol/codec.ts';
import { decode } from 'ripple-binary-codec';
const v = frameVectors().filter(v=>v.type===41).at(-1)!;
const m:any = decodeMessage(41, payloadOf(v));
try { console.log(decode(Buffer.from((m.message??m).validation).toString('hex'))); } catch(e) { console.log('ERR', e.message); }
