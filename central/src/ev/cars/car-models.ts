/**
 * The seed's car models (SEEDS.md A/C, `data/seed/car_models.json`: the original journey
 * server's three), the same list the simulator embeds. A car registered with one of these names
 * and no battery or consumption of its own takes the model's. Other names are free text: the
 * driver then gives the numbers.
 */
export interface CarModelSpec {
  name: string;
  /** kWh (the seed's battery_capacity). */
  batteryKwh: number;
  /** kWh/km (the seed's energy_consumption; seed B's taxa_descarga). */
  consumptionKwhPerKm: number;
}

export const SEED_CAR_MODELS: ReadonlyMap<string, CarModelSpec> = new Map(
  (
    [
      ['Tesla Model 3', 75, 0.15],
      ['Nissan Leaf', 40, 0.17],
      ['Chevrolet Bolt EV', 66, 0.16],
    ] as const
  ).map(([name, batteryKwh, consumptionKwhPerKm]) => [
    name,
    Object.freeze({ name, batteryKwh, consumptionKwhPerKm }),
  ]),
);
