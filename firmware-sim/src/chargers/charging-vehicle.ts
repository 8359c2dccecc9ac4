/** What a charger needs of the vehicle plugged into it (a simulated car). */
export interface ChargingVehicle {
  readonly deviceId: string;
  /** The power the vehicle draws when `offeredW` is available, W: its charging curve. */
  acceptPowerW(offeredW: number): number;
  /** Stores energy delivered, kWh; returns what the battery took (it stops when full). */
  receiveEnergy(kWh: number): number;
  /** The charger let go of it: unplugged, or its driver took it after finishing. */
  onUnplugged(): void;
}
