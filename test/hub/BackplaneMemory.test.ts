/** The in-memory backplane keeps the backplane contract. */
import * as Backplane from "../../src/hub/Backplane.js"
import { backplaneContract } from "./BackplaneContract.js"

backplaneContract("memory", (history) => Backplane.layerMemory({ history }))
