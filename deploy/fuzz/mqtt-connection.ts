import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { type MqttScript, SENTINEL_MESSAGE_ID, scriptPackets } from './mqtt-packets.js';

/** What the broker did with one connection's packets, as the attacker sees it. */
export interface ConnectionOutcome {
  /** Packets written to the socket (all of them: the broker may have closed before reading). */
  written: number;
  bytes: number;
  /** Packets the broker provably took in: a session whose closing SUBSCRIBE was answered. */
  confirmed: number;
  /** CONNACK return code, when one came (MQTT 3.1.1 §3.2.2.3). */
  connack?: number;
  /** The broker's packets by type; SUBACK return codes as `suback:0`, `suback:128`, … */
  answers: Record<string, number>;
  /** Who ended the connection: the broker (it closed first) or the fuzzer (it ended first). */
  closedBy: 'broker' | 'fuzzer';
  /** Bytes from the broker that are not MQTT 3.1.1 (for a v5 CONNECT they may be v5). */
  unparsable: number;
}

/**
 * Runs one script over a fresh TCP connection. A session sends its CONNECT and waits for the
 * CONNACK, then pipelines the rest in one write and, when nothing in it was damaged, waits for
 * the closing SUBSCRIBE's SUBACK (or the broker closing) before it ends the connection. Other
 * scripts are written at once; an undamaged CONNECT's answer is awaited before the end. Whatever
 * is damaged is followed by our end of the stream at once, since it may have left the broker
 * waiting for bytes that never come. Resolves when the socket is closed. Rejects only if the
 * broker cannot be reached: that is the broker being down.
 */
export function runScript(
  host: string,
  port: number,
  script: MqttScript,
): Promise<ConnectionOutcome> {
  return new Promise((resolve, reject) => {
    const out: ConnectionOutcome = {
      written: 0,
      bytes: 0,
      confirmed: 0,
      answers: {},
      closedBy: 'broker',
      unparsable: 0,
    };
    const socket: Socket = connect({ host, port });
    const parser = mqttPacket.parser();
    let reachable = false;
    let ended = false;
    let onConnack: (() => void) | undefined;
    let onSentinel: ((answered: boolean) => void) | undefined;
    const count = (key: string) => {
      out.answers[key] = (out.answers[key] ?? 0) + 1;
    };
    parser.on('packet', (p: Packet) => {
      count(p.cmd);
      if (p.cmd === 'connack') {
        out.connack = p.returnCode ?? p.reasonCode;
        onConnack?.();
      } else if (p.cmd === 'suback') {
        for (const g of p.granted)
          count(`suback:${typeof g === 'number' ? g : (g as { qos: number }).qos}`);
        if (p.messageId === SENTINEL_MESSAGE_ID) onSentinel?.(true);
      }
    });
    parser.on('error', () => {
      out.unparsable++;
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!reachable) reject(new Error(`broker unreachable at ${host}:${port}: ${err.message}`));
    });
    socket.on('close', () => {
      onConnack?.();
      onSentinel?.(false);
      if (reachable) resolve(out);
    });
    const send = (packets: Buffer[]) => {
      if (socket.destroyed || packets.length === 0) return;
      const all = Buffer.concat(packets);
      out.written += packets.length;
      out.bytes += all.length;
      socket.write(all);
    };
    const end = () => {
      if (ended) return;
      ended = true;
      if (!socket.destroyed) out.closedBy = 'fuzzer';
      socket.end();
    };

    socket.once('connect', async () => {
      reachable = true;
      const packets = scriptPackets(script).map((p) => p.bytes);
      if (script.profile !== 'session') {
        // An undamaged CONNECT is answered (CONNACK) or the connection closed: wait for that,
        // with the rest pipelined behind it. Anything damaged may leave the broker waiting for
        // bytes that never come: only our end of the stream ends that.
        const connack = new Promise<void>((r) => {
          onConnack = r;
        });
        send(packets);
        if (script.connect && script.connect.mutation === undefined) await connack;
        end();
        return;
      }
      const [connectPacket, ...rest] = packets as [Buffer, ...Buffer[]];
      await new Promise<void>((r) => {
        onConnack = r;
        send([connectPacket]);
      });
      onConnack = undefined;
      if (out.connack !== 0 || socket.destroyed) {
        end();
        return;
      }
      const answered = new Promise<boolean>((r) => {
        onSentinel = r;
      });
      send(rest);
      // A damaged packet may declare a length that swallows the rest, sentinel included: then
      // only our end of the stream ends it. An undamaged session waits for its answer.
      if (script.body.some((p) => p.mutation !== undefined)) end();
      if (await answered) out.confirmed = out.written;
      end();
    });
  });
}
