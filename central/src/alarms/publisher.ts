/** The port alarm transitions are published through (the central's MQTT client in production). */
export interface AlarmPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

/** Customer alarms go to the customer's topic; alarms with no customer to the operators' topic. */
export function alarmTopic(customerId: number | null): string {
  return customerId === null ? 'gl/v1/operators/alarms' : `gl/v1/customers/${customerId}/alarms`;
}

export type AlarmTransition = 'raised' | 'acknowledged' | 'cleared';

/** Minimal MQTT client shape (mqtt.js `MqttClient`): QoS 1, not retained. */
export function mqttAlarmPublisher(client: {
  publishAsync(topic: string, message: string, opts: { qos: 1 }): Promise<unknown>;
}): AlarmPublisher {
  return {
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
  };
}
